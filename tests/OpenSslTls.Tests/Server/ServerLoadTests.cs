using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.Tests.Support;
using Xunit.Abstractions;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>Many concurrent connections against one in-process server, clients on the library too.</summary>
public sealed class ServerLoadTests(ITestOutputHelper output) : NativeLeakCheck
{
    private const int Connections = 500;
    private const int RequestsPerConnection = 20;

    [Fact]
    public async Task Five_hundred_connections_each_doing_twenty_OPTIONS_all_get_200()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using ServerTestHost host = ServerTestHost.Start(logLevel: LogLevel.Warning);
        TlsProfile clientProfile = host.ClientProfile();
        var clock = Stopwatch.StartNew();
        int peak = 0;
        using var gate = new SemaphoreSlim(0);

        async Task<int> RunClientAsync(int index)
        {
            await using SipTlsClient client = await host.ConnectAsync(timeout.Token, clientProfile);
            Interlocked.Increment(ref peak);

            // Every connection is open before any sends, so all 500 are concurrent for the whole exchange.
            await gate.WaitAsync(timeout.Token);
            int answered = 0;
            for (int cseq = 1; cseq <= RequestsPerConnection; cseq++)
            {
                await client.SendAsync(SipRequests.Options(cseq, callId: $"load-{index}"), timeout.Token);
                SipReceivedFrame? reply = await client.ReadFrameAsync(timeout.Token);
                if (reply is not null && reply.Text.StartsWith("SIP/2.0 200 OK\r\n", StringComparison.Ordinal)
                    && reply.Text.Contains($"\r\nCSeq: {cseq} OPTIONS\r\n", StringComparison.Ordinal)
                    && reply.Text.Contains($"\r\nCall-ID: load-{index}\r\n", StringComparison.Ordinal))
                {
                    answered++;
                }
            }

            await client.CloseAsync(timeout.Token);
            return answered;
        }

        Task<int>[] clients = [.. Enumerable.Range(0, Connections).Select(index => Task.Run(() => RunClientAsync(index)))];
        while (Volatile.Read(ref peak) < Connections && !clients.Any(task => task.IsFaulted))
        {
            await Task.Delay(20, timeout.Token);
        }

        TimeSpan connected = clock.Elapsed;
        int open = host.Server.ConnectionCount;
        gate.Release(Connections);
        int[] answered = await Task.WhenAll(clients);
        output.WriteLine($"{Connections} connections open after {connected.TotalSeconds:0.0} s (server saw {open}); {Connections * RequestsPerConnection} OPTIONS answered after {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(Connections, open);
        Assert.All(answered, count => Assert.Equal(RequestsPerConnection, count));
        Assert.DoesNotContain(host.Logs.GetSnapshot(), record => record.Level >= LogLevel.Warning);
    }
}
