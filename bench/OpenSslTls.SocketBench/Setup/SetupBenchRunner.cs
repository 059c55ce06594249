using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenSslTls.Benchmarks;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Profiles;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Setup;

/// <summary>
/// The connection set-up suite (<c>--setup</c>, <c>--storm N</c>). For each selected row the three servers run side by
/// side; s_time is run against each in turn, round after round, the order rotating (A B C, B C A, C A B …) so on a
/// loaded machine every server samples the same minutes; the server's CPU (utime + stime of /proc/PID/stat) is read
/// around each s_time run. The storm row runs serve and the SslStream server alternately (s_server handles one
/// connection at a time and is no storm target). One table at the end; failures listed under it (exit code 1).
/// </summary>
internal static class SetupBenchRunner
{
    public const string StormId = "storm-tls13";

    private static readonly TimeSpan s_stopLimit = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(SocketBenchOptions options, TextWriter output, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(log);
        string loadAtStart = OpenSslTls.Benchmarks.Report.LoadAverageText.Read();
        var elapsed = Stopwatch.StartNew();
        int seconds = Math.Max(1, (int)Math.Ceiling(options.Seconds));
        int warmup = options.Warmup > 0 ? Math.Max(1, (int)Math.Ceiling(options.Warmup)) : 0;
        string parameters = options.Setup
            ? $"s_time {seconds} s per server and round, {options.Rounds} rounds, order rotating, after {warmup} s warm-up each"
            : string.Empty;
        if (options.Storm > 0)
        {
            parameters += (parameters.Length > 0 ? "; " : string.Empty) +
                $"storm of {options.Storm.ToString(CultureInfo.InvariantCulture)} connections at once from {StormClient.SourceAddresses} source addresses, {options.Rounds} per server, alternating";
        }

        await log.WriteLineAsync($"set-up bench: {parameters}; load average {loadAtStart}").ConfigureAwait(false);
        var cells = new Dictionary<(string Row, ServerKind Kind), SetupCell>();
        var rows = new List<(string Id, string Label)>();
        using BenchPki pki = BenchPki.Create();
        string work = Directory.CreateTempSubdirectory("OpenSslTls-SetupBench-").FullName;
        try
        {
            if (options.Setup)
            {
                foreach (SetupRow row in SetupRow.All.Where(row => options.Selects(row.Id)))
                {
                    rows.Add((row.Id, row.Label));
                    await RunRowAsync(row, pki, work, seconds, warmup, options.Rounds, options.BaselineServe, cells, log).ConfigureAwait(false);
                }
            }

            if (options.Storm > 0 && options.Selects(StormId))
            {
                rows.Add((StormId, $"storm, {options.Storm.ToString(CultureInfo.InvariantCulture)} new TLS 1.3 at once"));
                await RunStormAsync(pki, work, options.Storm, options.Rounds, options.BaselineServe, cells, log).ConfigureAwait(false);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        string loadAtEnd = OpenSslTls.Benchmarks.Report.LoadAverageText.Read();
        await output.WriteLineAsync(Table(rows, cells)).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync(
            $"{parameters}; load average (1/5/15 min) {loadAtStart} at start, {loadAtEnd} at end; " +
            $"{elapsed.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s in all").ConfigureAwait(false);
        var failures = cells.Where(cell => cell.Value.Failures > 0 || cell.Value.Timeouts > 0).ToList();
        foreach (((string row, ServerKind kind), SetupCell cell) in failures)
        {
            await output.WriteLineAsync(
                $"FAILURES {row} {SetupServers.Name(kind)}: {cell.Failures} failed, {cell.Timeouts} timed out, first: {cell.FirstFailure}").ConfigureAwait(false);
        }

        return failures.Count == 0 ? 0 : 1;
    }

    private static async Task RunRowAsync(
        SetupRow row, BenchPki pki, string work, int seconds, int warmup, int rounds, string? baseline, Dictionary<(string, ServerKind), SetupCell> cells, TextWriter log)
    {
        var servers = new List<ServerProcess>();
        try
        {
            foreach (ServerKind kind in SetupServers.Kinds(baseline))
            {
                ServerProcess server = await SetupServers.StartAsync(kind, row, pki, work, baseline).ConfigureAwait(false);
                servers.Add(server);
                cells[(row.Id, kind)] = new SetupCell();
                await log.WriteLineAsync($"[{row.Id}] {SetupServers.Name(kind),-9} pid {server.Pid} listening on {server.Endpoint}").ConfigureAwait(false);
            }

            if (warmup > 0)
            {
                foreach (ServerProcess server in servers)
                {
                    await STimeClient.RunAsync(row, server.Endpoint, warmup, work).ConfigureAwait(false);
                }
            }

            for (int round = 0; round < rounds; round++)
            {
                for (int turn = 0; turn < servers.Count; turn++)
                {
                    ServerProcess server = servers[(round + turn) % servers.Count];
                    SetupCell cell = cells[(row.Id, server.Kind)];
                    double cpuStart = server.CpuSeconds();
                    STimeResult run = await STimeClient.RunAsync(row, server.Endpoint, seconds, work).ConfigureAwait(false);
                    double cpu = server.CpuSeconds() - cpuStart;
                    cell.Add(run.Connections, run.Resumed, run.Marked, run.WallSeconds, cpu);
                    string note = row.Resumes ? $", {run.Resumed}/{run.Marked} resumed" : string.Empty;
                    await log.WriteLineAsync(
                        $"[{row.Id}] round {round + 1} {SetupServers.Name(server.Kind),-9} {run.Connections} connections in {run.WallSeconds:F2} s, " +
                        $"server CPU {cpu:F2} s ({(run.Connections > 0 ? cpu / run.Connections * 1e6 : 0):F0} us/connection){note}").ConfigureAwait(false);
                    if (run.ExitCode != 0 || run.Connections == 0)
                    {
                        cell.Fail($"s_time exit {run.ExitCode}, {run.Connections} connections: {Tail(run.Output)}");
                    }
                    else if (row.Resumes && server.Kind != ServerKind.SslStream && run.Resumed != run.Marked)
                    {
                        // serve and s_server must resume every connection, or the row does not measure resumption.
                        cell.Fail($"{run.Marked - run.Resumed} of {run.Marked} connections not resumed");
                    }
                }
            }

            await StopAllAsync(servers, log, row.Id).ConfigureAwait(false);
        }
        finally
        {
            foreach (ServerProcess server in servers)
            {
                server.Dispose();
            }
        }
    }

    private static async Task RunStormAsync(BenchPki pki, string work, int count, int rounds, string? baseline, Dictionary<(string, ServerKind), SetupCell> cells, TextWriter log)
    {
        var row = new SetupRow(StormId, "storm", BenchTlsVersion.Tls13, ServerKey.P256, SetupResumption.None);
        using TlsProfile client = TlsProfile.Create(
            TlsRole.Client,
            new TlsProfileSettings { Method = TlsMethod.TLSv1_3, CaList = pki.RootCertificate, VerifyCertificate = true },
            label: "client:socketbench-storm");
        var servers = new List<ServerProcess>();
        try
        {
            foreach (ServerKind kind in SetupServers.Kinds(baseline).Where(kind => kind != ServerKind.OpenSslServer))
            {
                ServerProcess server = await SetupServers.StartAsync(kind, row, pki, work, baseline).ConfigureAwait(false);
                servers.Add(server);
                cells[(StormId, kind)] = new SetupCell();
                await log.WriteLineAsync($"[{StormId}] {SetupServers.Name(kind),-9} pid {server.Pid} listening on {server.Endpoint}").ConfigureAwait(false);
            }

            foreach (ServerProcess server in servers)
            {
                // Warm-up: JIT and thread pool of both sides, unmeasured.
                StormResult warm = await StormClient.RunAsync(server, client, Math.Min(count, 200)).ConfigureAwait(false);
                await log.WriteLineAsync($"[{StormId}] warm-up {SetupServers.Name(server.Kind),-9} {warm.Established}/{warm.Attempted} in {warm.AllSeconds:F2} s").ConfigureAwait(false);
                await SettleAsync().ConfigureAwait(false);
            }

            for (int round = 0; round < rounds; round++)
            {
                for (int turn = 0; turn < servers.Count; turn++)
                {
                    // A B B A … (A B C, B C A, … with a baseline)
                    ServerProcess server = servers.Count == 2 ? servers[((round + turn) & 1) == 0 ? 0 : 1] : servers[(round + turn) % servers.Count];
                    StormResult storm = await StormClient.RunAsync(server, client, count).ConfigureAwait(false);
                    cells[(StormId, server.Kind)].Add(storm);
                    await log.WriteLineAsync(
                        $"[{StormId}] round {round + 1} {SetupServers.Name(server.Kind),-9} {storm.Established}/{storm.Attempted} established in {storm.AllSeconds:F2} s, " +
                        $"{storm.Failures} failed, {storm.Timeouts} timed out, server CPU {storm.ServerCpuSeconds:F2} s, client CPU {storm.ClientCpuSeconds:F2} s" +
                        (storm.FirstFailure is null ? string.Empty : $"; first failure: {storm.FirstFailure}")).ConfigureAwait(false);
                    await SettleAsync().ConfigureAwait(false);
                }
            }

            await StopAllAsync(servers, log, StormId).ConfigureAwait(false);
        }
        finally
        {
            foreach (ServerProcess server in servers)
            {
                server.Dispose();
            }
        }
    }

    /// <summary>Lets the server see the closes of the last storm before the next one starts.</summary>
    private static Task SettleAsync() => Task.Delay(TimeSpan.FromSeconds(1));

    private static async Task StopAllAsync(List<ServerProcess> servers, TextWriter log, string id)
    {
        foreach (ServerProcess server in servers)
        {
            int? exit = await server.StopAsync(s_stopLimit).ConfigureAwait(false);

            // s_server ends on SIGTERM with the signal's status; only the .NET servers promise a clean 0.
            if (exit != 0 && server.Kind != ServerKind.OpenSslServer)
            {
                string how = exit is null ? "did not exit (killed)" : "exited with " + exit.Value.ToString(CultureInfo.InvariantCulture);
                await log.WriteLineAsync($"[{id}] {SetupServers.Name(server.Kind)} {how}; output:{Environment.NewLine}{server.OutputTail}").ConfigureAwait(false);
            }
        }
    }

    private static string Tail(string text) => text.Length <= 400 ? text.Trim() : text[^400..].Trim();

    private static string Table(List<(string Id, string Label)> rows, Dictionary<(string, ServerKind), SetupCell> cells)
    {
        bool baseline = cells.Keys.Any(key => key.Item2 == ServerKind.Baseline);
        var table = new StringBuilder();
        table.Append("| connection set-up | figure | serve | SslStream | s_server |")
            .Append(baseline ? " serve (baseline build) |" : string.Empty)
            .Append(" serve ÷ s_server (rounds: min–max) |")
            .Append(baseline ? " serve ÷ baseline (rounds: min–max) |" : string.Empty)
            .Append("\n|---|---|---:|---:|---:|").Append(baseline ? "---:|---:|" : string.Empty).Append("---:|\n");
        foreach ((string id, string label) in rows)
        {
            SetupCell? Get(ServerKind kind) => cells.TryGetValue((id, kind), out SetupCell? cell) ? cell : null;
            SetupCell?[] columns = baseline
                ? [Get(ServerKind.OpenSslTls), Get(ServerKind.SslStream), Get(ServerKind.OpenSslServer), Get(ServerKind.Baseline)]
                : [Get(ServerKind.OpenSslTls), Get(ServerKind.SslStream), Get(ServerKind.OpenSslServer)];
            SetupCell serve = columns[0]!;
            SetupCell? openSsl = columns[2];
            SetupCell? before = baseline ? columns[3] : null;
            string RatioTo(SetupCell? other, bool rate) => other is null ? "–" : Range(serve, other, rate);
            void Line(string figure, Func<SetupCell, double> value, string format, bool ratios, bool rate = false)
            {
                table.Append(CultureInfo.InvariantCulture, $"| {label} | {figure} |");
                foreach (SetupCell? cell in columns)
                {
                    table.Append(' ').Append(cell is null ? "–" : value(cell).ToString(format, CultureInfo.InvariantCulture)).Append(" |");
                }

                table.Append(' ').Append(ratios ? RatioTo(openSsl, rate) : "–").Append(" |");
                if (baseline)
                {
                    table.Append(' ').Append(ratios ? RatioTo(before, rate) : "–").Append(" |");
                }

                table.Append('\n');
            }

            bool storm = id == StormId;
            Line(storm ? "connections/s (N ÷ time until all established)" : "connections/s", cell => cell.Rate, "F0", ratios: true, rate: true);
            Line("server CPU per connection, us", cell => cell.CpuMicrosecondsPerConnection, "F0", ratios: true);
            if (storm)
            {
                Line("client CPU per connection attempted, us (the bench process)", cell => cell.ClientCpuMicrosecondsPerAttempt, "F0", ratios: false);
                Line("time until all established, s (worst storm)", cell => cell.StormSeconds.DefaultIfEmpty().Max(), "F2", ratios: false);
                Line("handshake latency p50, ms", cell => cell.LatencyMilliseconds(50), "F0", ratios: false);
                Line("handshake latency p99, ms", cell => cell.LatencyMilliseconds(99), "F0", ratios: false);
                Line("established", cell => cell.Connections, "F0", ratios: false);
                Line("failed", cell => cell.Failures, "F0", ratios: false);
                Line("timed out", cell => cell.Timeouts, "F0", ratios: false);
            }
            else if (columns.Any(cell => cell is { Marked: > 0 }))
            {
                Line("resumed, % of connections", cell => cell.ResumedShare * 100, "F1", ratios: false);
            }
        }

        return table.ToString().TrimEnd('\n');
    }

    /// <summary>The overall ratio and the range of the per-round ratios (rounds pair the servers' runs of the same minutes).</summary>
    private static string Range(SetupCell serve, SetupCell openSsl, bool rate)
    {
        double overall = rate
            ? (openSsl.Rate > 0 ? serve.Rate / openSsl.Rate : double.NaN)
            : (openSsl.CpuMicrosecondsPerConnection > 0 ? serve.CpuMicrosecondsPerConnection / openSsl.CpuMicrosecondsPerConnection : double.NaN);
        if (rate)
        {
            return overall.ToString("F2", CultureInfo.InvariantCulture);
        }

        double[] perRound = [.. serve.RoundCpuMicroseconds.Zip(openSsl.RoundCpuMicroseconds, (a, b) => b > 0 ? a / b : double.NaN).Where(r => !double.IsNaN(r))];
        return perRound.Length == 0
            ? overall.ToString("F2", CultureInfo.InvariantCulture)
            : $"{overall.ToString("F2", CultureInfo.InvariantCulture)} ({perRound.Min().ToString("F2", CultureInfo.InvariantCulture)}–{perRound.Max().ToString("F2", CultureInfo.InvariantCulture)})";
    }
}
