using System.Diagnostics;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// Runs N workers against a server: a warm-up (both sides' code paths JIT-compiled and tiered up, connections pooled),
/// then a measuring window bounded by <see cref="LoadWindow"/>, the server's and this process's CPU clocks read at
/// its two edges. Workers still busy 10 s after the window are cancelled.
/// </summary>
internal static class LoadRunner
{
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(10);

    /// <summary>One worker: loop until <see cref="LoadWindow.Stopped"/>, recording into its tally; the token fires only when it overstays.</summary>
    public delegate Task Worker(int index, LoadWindow window, WorkerTally tally, CancellationToken abort);

    public static async Task<RunResult> RunAsync(ServerProcess server, int workers, Worker worker, TimeSpan warmup, TimeSpan window)
    {
        var phases = new LoadWindow();
        using var abort = new CancellationTokenSource();
        var tallies = new WorkerTally[workers];
        var tasks = new Task[workers];
        for (int i = 0; i < workers; i++)
        {
            int index = i;
            tallies[i] = new WorkerTally();
            tasks[i] = Task.Run(() => worker(index, phases, tallies[index], abort.Token));
        }

        await Task.Delay(warmup).ConfigureAwait(false);
        double serverStart = server.CpuSeconds();
        double clientStart = ProcFs.CpuSeconds(Environment.ProcessId);
        long started = Stopwatch.GetTimestamp();
        phases.Begin();
        await Task.Delay(window).ConfigureAwait(false);
        phases.End();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        double serverCpu = server.CpuSeconds() - serverStart;
        double clientCpu = ProcFs.CpuSeconds(Environment.ProcessId) - clientStart;

        abort.CancelAfter(s_drainLimit);
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A worker overstayed and was cancelled; what it did inside the window is recorded.
        }

        long[] latencies = [.. tallies.SelectMany(tally => tally.Latencies)];
        return new RunResult(
            Operations: latencies.Length,
            Failures: tallies.Sum(tally => tally.Failures),
            FirstFailure: tallies.Select(tally => tally.FirstFailure).FirstOrDefault(failure => failure is not null),
            WindowSeconds: seconds,
            ServerCpuSeconds: serverCpu,
            ClientCpuSeconds: clientCpu,
            Latencies: latencies,
            Connections: tallies.Sum(tally => tally.Connections),
            BytesReceived: tallies.Sum(tally => tally.BytesReceived),
            BytesSent: tallies.Sum(tally => tally.BytesSent));
    }
}
