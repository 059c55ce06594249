using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenSslTls.Benchmarks.Charts;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Report;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SocketBench.Load;
using OpenSslTls.SocketBench.Report;
using OpenSslTls.SocketBench.Servers;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.SocketBench;

/// <summary>
/// The benchmark: for each TLS version, both server children started side by side, each checked for what it
/// negotiates, then each selected workload run against both in interleaved slices (<see cref="LoadRunner"/>), then both
/// stopped; at the end one table. Both servers get the same PKI, version, suite, load generator and parameters.
/// </summary>
internal static class SocketBenchRunner
{
    /// <summary>The SNI name and request host: the bench leaf's name.</summary>
    public const string ServerName = BenchPki.ServerName;

    private static readonly TimeSpan s_startLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopLimit = TimeSpan.FromSeconds(15);
    private static readonly BenchTlsVersion[] s_versions = [BenchTlsVersion.Tls13, BenchTlsVersion.Tls12];
    private static readonly Workload[] s_workloads = [Workload.Transactions, Workload.Connections];
    private static readonly ServerKind[] s_servers = [ServerKind.OpenSslTls, ServerKind.SslStream];

    /// <summary>The id <c>--only</c> matches: options-tls13, connections-tls12, ….</summary>
    public static string Id(Workload workload, BenchTlsVersion version) =>
        (workload == Workload.Transactions ? "options-" : "connections-") + TlsPinning.Id(version);

    public static async Task<int> RunAsync(SocketBenchOptions options, TextWriter output, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(log);
        string loadAtStart = OpenSslTls.Benchmarks.Report.LoadAverageText.Read();
        var elapsed = Stopwatch.StartNew();
        var timing = new LoadTiming(TimeSpan.FromSeconds(options.Warmup), TimeSpan.FromSeconds(options.Seconds), TimeSpan.FromMilliseconds(options.SliceMilliseconds));
        string parameters =
            $"{options.Seconds.ToString(CultureInfo.InvariantCulture)} s measured per server and figure in {timing.SlicesPerServer} slices of {options.SliceMilliseconds} ms, " +
            $"servers taking turns A B B A, after {options.Warmup.ToString(CultureInfo.InvariantCulture)} s warm-up each; " +
            $"{options.Connections} connections (OPTIONS), {options.Workers} workers (new connections)";
        await log.WriteLineAsync($"socket bench: {parameters}; load average {loadAtStart}").ConfigureAwait(false);
        var figures = new List<BenchFigure>(ChartSet.RunStart());
        int steps = s_versions.Sum(version => s_workloads.Count(workload => options.Selects(Id(workload, version))));
        var progress = new BenchProgress("sockets", steps, log);

        var cells = new Dictionary<(Workload, BenchTlsVersion, ServerKind), Accumulator>();
        using BenchPki pki = BenchPki.Create();
        string work = Directory.CreateTempSubdirectory("OpenSslTls-SocketBench-").FullName;
        try
        {
            foreach (BenchTlsVersion version in s_versions)
            {
                Workload[] selected = [.. s_workloads.Where(workload => options.Selects(Id(workload, version)))];
                if (selected.Length > 0)
                {
                    await RunVersionAsync(version, selected, pki, work, options, timing, cells, log, progress).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        string loadAtEnd = OpenSslTls.Benchmarks.Report.LoadAverageText.Read();
        figures.AddRange(Figures(options, cells));
        figures.Add(ChartSet.RunEnd());
        await output.WriteLineAsync(Table(options, cells)).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync(
            $"{parameters}; load average (1/5/15 min) {loadAtStart} at start, {loadAtEnd} at end; " +
            $"{elapsed.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s in all")
            .ConfigureAwait(false);
        var failures = new List<string>();
        foreach (((Workload workload, BenchTlsVersion version, ServerKind kind), Accumulator cell) in cells)
        {
            if (cell.Failures > 0)
            {
                failures.Add($"{Id(workload, version)} {kind}: {cell.Failures} failed, first: {cell.FirstFailure}");
            }
        }

        foreach (string failure in failures)
        {
            await output.WriteLineAsync("FAILURES " + failure).ConfigureAwait(false);
        }

        ChartSet.Save(figures, options.CsvPath, options.ChartDirectory, log);

        return failures.Count == 0 ? 0 : 1;
    }

    private static async Task RunVersionAsync(
        BenchTlsVersion version,
        Workload[] workloads,
        BenchPki pki,
        string work,
        SocketBenchOptions options,
        LoadTiming timing,
        Dictionary<(Workload, BenchTlsVersion, ServerKind), Accumulator> cells,
        TextWriter log,
        BenchProgress progress)
    {
        using TlsProfile client = TlsProfile.Create(
            TlsRole.Client,
            new TlsProfileSettings { Method = TlsPinning.Method(version), CaList = pki.RootCertificate, VerifyCertificate = true },
            label: "client:socketbench");
        var servers = new List<ServerProcess>();
        try
        {
            foreach (ServerKind kind in s_servers)
            {
                ServerProcess server = await ServerProcess.StartAsync(kind, version, pki, work, s_startLimit).ConfigureAwait(false);
                servers.Add(server);
                await log.WriteLineAsync($"{Tag(version, kind)} pid {server.Pid} listening on {server.Endpoint}; {await ProbeAsync(server, client, version).ConfigureAwait(false)}")
                    .ConfigureAwait(false);
            }

            foreach (Workload workload in workloads)
            {
                RunResult[] runs = workload == Workload.Transactions
                    ? await TransactionLoad.RunAsync(servers, client, options.Connections, timing).ConfigureAwait(false)
                    : await ConnectionLoad.RunAsync(servers, client, options.Workers, timing).ConfigureAwait(false);
                for (int s = 0; s < servers.Count; s++)
                {
                    var cell = new Accumulator();
                    cell.Add(runs[s]);
                    cells[(workload, version, servers[s].Kind)] = cell;
                    await log.WriteLineAsync($"{Tag(version, servers[s].Kind)} {Describe(workload, runs[s])}").ConfigureAwait(false);
                }

                progress.Step($"{Id(workload, version)}: " + string.Join(", ", Enumerable.Range(0, servers.Count).Select(s =>
                    string.Create(CultureInfo.InvariantCulture, $"{servers[s].Kind} {runs[s].Operations / runs[s].WindowSeconds:F1}/s"))));
            }

            foreach (ServerProcess server in servers)
            {
                int? exit = await server.StopAsync(s_stopLimit).ConfigureAwait(false);
                if (exit != 0)
                {
                    string how = exit is null ? "did not exit (killed)" : "exited with " + exit.Value.ToString(CultureInfo.InvariantCulture);
                    await log.WriteLineAsync($"{Tag(version, server.Kind)} {how}; output:{Environment.NewLine}{server.OutputTail}").ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (ServerProcess server in servers)
            {
                server.Dispose();
            }
        }
    }

    private static string Tag(BenchTlsVersion version, ServerKind kind) => $"[{TlsPinning.Label(version)}] {kind,-10}";

    /// <summary>One connection and one OPTIONS before the load: the negotiated version and suite must be the pinned ones, or the comparison is off.</summary>
    private static async Task<string> ProbeAsync(ServerProcess server, TlsProfile client, BenchTlsVersion version)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using LoadClient probe = await LoadClient.ConnectAsync(server.Endpoint, client, ServerName, limit.Token).ConfigureAwait(false);
        var requests = new OptionsRequestBuilder(ServerName, server.Endpoint.Port, probe.LocalEndPoint);
        await probe.ExchangeAsync(Encoding.UTF8.GetBytes(requests.Build(1)), limit.Token).ConfigureAwait(false);
        TlsConnectionInfo info = probe.Info!;
        string expectedProtocol = version == BenchTlsVersion.Tls13 ? "TLSv1.3" : "TLSv1.2";
        string expectedSuite = version == BenchTlsVersion.Tls13 ? "TLS_AES_256_GCM_SHA384" : "ECDHE-ECDSA-AES256-GCM-SHA384";
        if (info.Protocol != expectedProtocol || info.CipherName != expectedSuite || !info.PeerVerified || info.SessionReused)
        {
            throw new InvalidOperationException(
                $"{server.Kind} negotiated {info.Protocol} {info.CipherName} (verified {info.PeerVerified}, resumed {info.SessionReused}); expected {expectedProtocol} {expectedSuite}, verified, not resumed");
        }

        return $"negotiated {info.Protocol} {info.CipherName}, server certificate verified, not resumed; " +
            $"handshake + one OPTIONS/200: {probe.BytesReceived} bytes from the server, {probe.BytesSent} to it";
    }

    private static string Describe(Workload workload, RunResult run)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{(workload == Workload.Transactions ? "OPTIONS    " : "connections")}: {run.Operations} in {run.WindowSeconds:F3} s = {run.Operations / run.WindowSeconds:F1}/s; ");
        text.Append(CultureInfo.InvariantCulture, $"server CPU {run.ServerCpuSeconds:F2} s ({run.ServerCpuSeconds / run.WindowSeconds:F2} cores), load generator CPU {run.ClientCpuSeconds:F2} s");
        if (run.Connections > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"; per connection {(double)run.BytesReceived / run.Connections:F1} bytes from the server, {(double)run.BytesSent / run.Connections:F1} to it");
        }

        text.Append(CultureInfo.InvariantCulture, $"; failed {run.Failures}");
        if (run.FirstFailure is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" (first: {run.FirstFailure})");
        }

        return text.ToString();
    }

    private static string Table(SocketBenchOptions options, Dictionary<(Workload, BenchTlsVersion, ServerKind), Accumulator> cells)
    {
        var table = new ComparisonTable();
        foreach (BenchTlsVersion version in s_versions)
        {
            foreach (Workload workload in s_workloads)
            {
                if (!cells.TryGetValue((workload, version, ServerKind.OpenSslTls), out Accumulator? ours) ||
                    !cells.TryGetValue((workload, version, ServerKind.SslStream), out Accumulator? theirs))
                {
                    continue;
                }

                string what = Label(options, workload, version);
                string unit = workload == Workload.Transactions ? "transactions" : "connections";
                table.Add($"{what}: rate", $"{unit}/s (higher is better)", ours.Rate, theirs.Rate, "F1");
                table.Add($"{what}: latency p50", "ms (lower is better)", ours.LatencyMilliseconds(50), theirs.LatencyMilliseconds(50), "F3");
                table.Add($"{what}: latency p99", "ms (lower is better)", ours.LatencyMilliseconds(99), theirs.LatencyMilliseconds(99), "F3");
                table.Add($"{what}: server CPU", $"CPU s per 1000 {unit} (lower is better)", ours.ServerCpuPerThousand, theirs.ServerCpuPerThousand, "F4");
                table.Add($"{what}: server CPU use", "cores, average over the windows", ours.ServerCores, theirs.ServerCores, "F2");
                table.Add($"{what}: load generator CPU", $"CPU s per 1000 {unit}", ours.ClientCpuPerThousand, theirs.ClientCpuPerThousand, "F4");
                if (workload == Workload.Connections)
                {
                    table.Add($"{what}: bytes from the server", "per connection (handshake + 200)", ours.BytesReceivedPerConnection, theirs.BytesReceivedPerConnection, "F1");
                }

                table.Add($"{what}: failed", "operations", ours.Failures, theirs.Failures, "F0");
            }
        }

        return table.ToString();
    }

    /// <summary>The row title of a workload: <c>OPTIONS, TLS 1.3, 50 connections</c> or <c>new connections, TLS 1.2, 8 workers</c>.</summary>
    private static string Label(SocketBenchOptions options, Workload workload, BenchTlsVersion version) => workload == Workload.Transactions
        ? $"OPTIONS, {TlsPinning.Label(version)}, {Count(options.Connections, "connection")}"
        : $"new connections, {TlsPinning.Label(version)}, {Count(options.Workers, "worker")}";

    /// <summary>
    /// Every cell as CSV figures, whichever servers ran (a server kind added to the bench is new rows, and a new bar in
    /// the charts): rate, latencies, server CPU per operation (the charted metric), server cores, load-generator CPU, failures.
    /// </summary>
    private static IEnumerable<BenchFigure> Figures(SocketBenchOptions options, Dictionary<(Workload, BenchTlsVersion, ServerKind), Accumulator> cells)
    {
        foreach (((Workload workload, BenchTlsVersion version, ServerKind kind), Accumulator cell) in cells
            .OrderBy(pair => Array.IndexOf(s_versions, pair.Key.Item2)).ThenBy(pair => Array.IndexOf(s_workloads, pair.Key.Item1)).ThenBy(pair => pair.Key.Item3))
        {
            string scenario = Label(options, workload, version);
            string server = kind == ServerKind.OpenSslTls ? "OpenSslTls (serve)" : kind.ToString();
            bool connections = workload == Workload.Connections;
            yield return new BenchFigure(scenario, server, connections ? "connection-rate" : "transaction-rate", cell.Rate, connections ? "connections/s" : "transactions/s");
            yield return new BenchFigure(scenario, server, "latency-p50", cell.LatencyMilliseconds(50), "ms");
            yield return new BenchFigure(scenario, server, "latency-p99", cell.LatencyMilliseconds(99), "ms");
            yield return connections
                ? new BenchFigure(scenario, server, ChartCatalog.ServerCpuPerConnection, cell.ServerCpuPerThousand, "ms CPU per connection")
                : new BenchFigure(scenario, server, ChartCatalog.ServerCpuPerTransaction, cell.ServerCpuPerThousand * 1000, "µs CPU per transaction");
            yield return new BenchFigure(scenario, server, "server-cores", cell.ServerCores, "cores");
            yield return new BenchFigure(scenario, server, "load-generator-cpu-per-operation", cell.ClientCpuPerThousand, "ms CPU per operation");
            yield return new BenchFigure(scenario, server, "failures", cell.Failures, "operations");
        }
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count.ToString(CultureInfo.InvariantCulture)} {noun}s";

}
