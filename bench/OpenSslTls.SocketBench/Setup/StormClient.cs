using System.Diagnostics;
using System.Net;
using OpenSslTls.Profiles;
using OpenSslTls.SocketBench.Load;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Setup;

/// <summary>One storm against one server: how many of N got established, failures and timeouts, time until the last, handshake latencies, the server's CPU.</summary>
internal sealed record StormResult(int Attempted, int Established, int Failures, int Timeouts, string? FirstFailure, double AllSeconds, long[] Latencies, double ServerCpuSeconds, double ClientCpuSeconds);

/// <summary>
/// The reconnect storm: N clients at once, as after a network failure or a server restart, every one from its own source
/// port and the sources spread over several 127.0.0.x addresses (so no per-address limit or port range decides the
/// result). Each connects and completes a full TLS 1.3 handshake (the project's own client, verifying the server); all
/// are held open until the last one is established or has failed, then closed. A connection that has not completed its
/// handshake within the limit counts as a timeout. The server's CPU is read from /proc from the first connect to the last
/// handshake, and the client's own (this process: the storm's connections are the only work it does meanwhile), because
/// both share the same cores: a storm measures the machine as much as the server.
/// </summary>
internal static class StormClient
{
    /// <summary>Source addresses 127.0.0.1 … 127.0.0.8.</summary>
    public const int SourceAddresses = 8;

    public static readonly TimeSpan HandshakeLimit = TimeSpan.FromSeconds(120);

    public static async Task<StormResult> RunAsync(ServerProcess server, TlsProfile client, int count)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(client);
        var clients = new LoadClient?[count];
        var latencies = new long[count];
        var failures = new string?[count];
        var timedOut = new bool[count];
        IPAddress[] sources = [.. Enumerable.Range(1, SourceAddresses).Select(i => new IPAddress(new byte[] { 127, 0, 0, (byte)i }))];
        using var limit = new CancellationTokenSource(HandshakeLimit);
        double cpuStart = server.CpuSeconds();
        TimeSpan clientStart = Process.GetCurrentProcess().TotalProcessorTime;
        long started = Stopwatch.GetTimestamp();
        long last = started;
        var tasks = new Task[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            tasks[i] = Task.Run(async () =>
            {
                long begun = Stopwatch.GetTimestamp();
                try
                {
                    clients[index] = await LoadClient.ConnectAsync(server.Endpoint, client, SocketBenchRunner.ServerName, limit.Token, sources[index % sources.Length])
                        .ConfigureAwait(false);
                    long done = Stopwatch.GetTimestamp();
                    latencies[index] = done - begun;
                    InterlockedMax(ref last, done);
                }
                catch (OperationCanceledException) when (limit.IsCancellationRequested)
                {
                    timedOut[index] = true;
                }
#pragma warning disable CA1031 // A failed connection is counted and reported.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    failures[index] = e.GetType().Name + ": " + e.Message;
                }
            });
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        double cpu = server.CpuSeconds() - cpuStart;
        double clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientStart).TotalSeconds;
        double all = Stopwatch.GetElapsedTime(started, last).TotalSeconds;
        foreach (LoadClient? open in clients)
        {
            open?.Dispose();
        }

        int established = clients.Count(c => c is not null);
        return new StormResult(
            count,
            established,
            failures.Count(f => f is not null),
            timedOut.Count(t => t),
            failures.FirstOrDefault(f => f is not null),
            all,
            [.. latencies.Where((_, i) => clients[i] is not null)],
            cpu,
            clientCpu);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen = Volatile.Read(ref target);
        while (value > seen)
        {
            long previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
