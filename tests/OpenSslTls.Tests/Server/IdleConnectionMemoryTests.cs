using System.Net.Sockets;
using System.Reflection;
using OpenSslTls.SipEndpoint.Client;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// An idle connection of serve keeps no buffer alive: neither the socket's cached receive operation (serve waits with a
/// zero-byte wait on event args of its own and then reads without blocking, so a wait that completes with no data never
/// leaves a 32 KB read pending) nor its cached send operation (which kept pointing at the last reply's pooled buffer).
/// </summary>
public sealed class IdleConnectionMemoryTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Idle_connections_leave_no_buffer_referenced_by_their_sockets_cached_operations()
    {
        await using var host = ServerTestHost.Start();
        using var limit = new CancellationTokenSource(s_wait);
        var clients = new List<SipTlsClient>();
        try
        {
            // Several at once, as a population of phones registering: OPTIONS and its 200 on each, then silence.
            for (int round = 0; round < 4; round++)
            {
                SipTlsClient[] batch = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
                {
                    SipTlsClient client = await host.ConnectAsync(limit.Token);
                    await client.SendAsync(SipRequests.Options(i + 1), limit.Token);
                    SipReceivedFrame? reply = await client.ReadFrameAsync(limit.Token);
                    Assert.StartsWith("SIP/2.0 200 ", reply?.Text, StringComparison.Ordinal);
                    return client;
                }));
                clients.AddRange(batch);
            }

            // Each connection's loop goes idle right after its reply: give the last ones a moment to get there.
            string problems = string.Empty;
            for (var waited = System.Diagnostics.Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(100, limit.Token))
            {
                IReadOnlyList<Socket> sockets = host.Server.OpenSockets();
                Assert.Equal(clients.Count, sockets.Count);
                problems = string.Join("; ", sockets.Select(Held).Where(text => text.Length > 0));
                if (problems.Length == 0)
                {
                    break;
                }
            }

            Assert.True(problems.Length == 0, $"idle connections still reference buffers: {problems}");
        }
        finally
        {
            foreach (SipTlsClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>What buffers the socket's two cached operations (.NET's private fields) reference beyond one byte.</summary>
    private static string Held(Socket socket)
    {
        var held = new List<string>();
        foreach (string field in (string[])["_singleBufferReceiveEventArgs", "_singleBufferSendEventArgs"])
        {
            FieldInfo cached = typeof(Socket).GetField(field, BindingFlags.Instance | BindingFlags.NonPublic)
                ?? throw new InvalidOperationException($"Socket has no field {field} in this .NET; the test needs updating");
            if (cached.GetValue(socket) is SocketAsyncEventArgs operation && operation.MemoryBuffer.Length > 1)
            {
                held.Add($"{field} -> {operation.MemoryBuffer.Length} bytes");
            }
        }

        return string.Join(", ", held);
    }
}
