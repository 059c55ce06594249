using System.Diagnostics;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// Loads the servers in turns, never together: each first alone for the warm-up (both sides' code JIT-compiled and
/// tiered up), then in short measured slices in the order A B B A A B B A …, so on a shared machine whose load swings
/// from second to second both servers sample the same moments and neither always goes first. Each slice is timed from
/// opening its gate to the end of its last operation, with the server's and this process's CPU clocks read at both
/// edges. Slices of one server are summed.
/// </summary>
internal static class LoadRunner
{
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(10);

    /// <summary>One worker of a server: loop on <see cref="LoadGate.EnterAsync"/> until it says stop, calling <see cref="LoadGate.Exit"/> after each operation; the token fires only when it overstays.</summary>
    public delegate Task Worker(int server, int worker, LoadGate gate, WorkerTally tally, CancellationToken abort);

    public static async Task<RunResult[]> RunAsync(IReadOnlyList<ServerProcess> servers, int workersPerServer, Worker worker, LoadTiming timing)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(timing);
        using var abort = new CancellationTokenSource();
        var gates = servers.Select(_ => new LoadGate()).ToArray();
        var tallies = servers.Select(_ => Enumerable.Range(0, workersPerServer).Select(_ => new WorkerTally()).ToArray()).ToArray();
        var tasks = new List<Task>();
        for (int s = 0; s < servers.Count; s++)
        {
            for (int w = 0; w < workersPerServer; w++)
            {
                (int server, int index) = (s, w);
                tasks.Add(Task.Run(() => worker(server, index, gates[server], tallies[server][index], abort.Token)));
            }
        }

        var seconds = new double[servers.Count];
        var serverCpu = new double[servers.Count];
        var clientCpu = new double[servers.Count];
        try
        {
            for (int s = 0; s < servers.Count; s++)
            {
                gates[s].Open(measuring: false);
                await Task.Delay(timing.Warmup).ConfigureAwait(false);
                await CloseAsync(gates[s], abort).ConfigureAwait(false);
            }

            int slices = timing.SlicesPerServer * servers.Count;
            for (int i = 0; i < slices; i++)
            {
                // A B B A A B B A … (for two servers): each pair of slices starts with the other server.
                int s = servers.Count == 2 ? ((i + 1) >> 1) & 1 : i % servers.Count;
                double serverStart = servers[s].CpuSeconds();
                double clientStart = ProcFs.CpuSeconds(Environment.ProcessId);
                long started = Stopwatch.GetTimestamp();
                gates[s].Open(measuring: true);
                await Task.Delay(timing.Slice).ConfigureAwait(false);
                await CloseAsync(gates[s], abort).ConfigureAwait(false);
                seconds[s] += Stopwatch.GetElapsedTime(started).TotalSeconds;
                serverCpu[s] += servers[s].CpuSeconds() - serverStart;
                clientCpu[s] += ProcFs.CpuSeconds(Environment.ProcessId) - clientStart;
            }
        }
        finally
        {
            foreach (LoadGate gate in gates)
            {
                gate.Stop();
            }

            abort.CancelAfter(s_drainLimit);
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }

        return [.. Enumerable.Range(0, servers.Count).Select(s => Result(tallies[s], seconds[s], serverCpu[s], clientCpu[s]))];
    }

    /// <summary>Closes a gate and waits for its operations; ones stuck past the limit are cancelled (they then fail).</summary>
    private static async Task CloseAsync(LoadGate gate, CancellationTokenSource abort)
    {
        Task drained = gate.CloseAsync();
        if (await Task.WhenAny(drained, Task.Delay(s_drainLimit)).ConfigureAwait(false) != drained)
        {
            await abort.CancelAsync().ConfigureAwait(false);
            await drained.ConfigureAwait(false);
        }
    }

    private static RunResult Result(WorkerTally[] tallies, double seconds, double serverCpu, double clientCpu)
    {
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
