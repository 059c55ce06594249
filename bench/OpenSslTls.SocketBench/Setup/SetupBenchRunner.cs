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
        string loadAtStart = SocketBenchRunner.LoadAverage();
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
                    await RunRowAsync(row, pki, work, seconds, warmup, options.Rounds, cells, log).ConfigureAwait(false);
                }
            }

            if (options.Storm > 0 && options.Selects(StormId))
            {
                rows.Add((StormId, $"storm, {options.Storm.ToString(CultureInfo.InvariantCulture)} new TLS 1.3 at once"));
                await RunStormAsync(pki, work, options.Storm, options.Rounds, cells, log).ConfigureAwait(false);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        string loadAtEnd = SocketBenchRunner.LoadAverage();
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
        SetupRow row, BenchPki pki, string work, int seconds, int warmup, int rounds, Dictionary<(string, ServerKind), SetupCell> cells, TextWriter log)
    {
        var servers = new List<ServerProcess>();
        try
        {
            foreach (ServerKind kind in SetupServers.Kinds)
            {
                ServerProcess server = await SetupServers.StartAsync(kind, row, pki, work).ConfigureAwait(false);
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

    private static async Task RunStormAsync(BenchPki pki, string work, int count, int rounds, Dictionary<(string, ServerKind), SetupCell> cells, TextWriter log)
    {
        var row = new SetupRow(StormId, "storm", BenchTlsVersion.Tls13, ServerKey.P256, SetupResumption.None);
        using TlsProfile client = TlsProfile.Create(
            TlsRole.Client,
            new TlsProfileSettings { Method = TlsMethod.TLSv1_3, CaList = pki.RootCertificate, VerifyCertificate = true },
            label: "client:socketbench-storm");
        var servers = new List<ServerProcess>();
        try
        {
            foreach (ServerKind kind in new[] { ServerKind.OpenSslTls, ServerKind.SslStream })
            {
                ServerProcess server = await SetupServers.StartAsync(kind, row, pki, work).ConfigureAwait(false);
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
                    // A B B A …
                    ServerProcess server = servers[((round + turn) & 1) == 0 ? 0 : 1];
                    StormResult storm = await StormClient.RunAsync(server, client, count).ConfigureAwait(false);
                    cells[(StormId, server.Kind)].Add(storm);
                    await log.WriteLineAsync(
                        $"[{StormId}] round {round + 1} {SetupServers.Name(server.Kind),-9} {storm.Established}/{storm.Attempted} established in {storm.AllSeconds:F2} s, " +
                        $"{storm.Failures} failed, {storm.Timeouts} timed out, server CPU {storm.ServerCpuSeconds:F2} s" +
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
        var table = new StringBuilder();
        table.Append("| connection set-up | figure | serve | SslStream | s_server | serve ÷ s_server (rounds: min–max) |\n|---|---|---:|---:|---:|---:|\n");
        foreach ((string id, string label) in rows)
        {
            SetupCell serve = cells[(id, ServerKind.OpenSslTls)];
            SetupCell sslStream = cells[(id, ServerKind.SslStream)];
            cells.TryGetValue((id, ServerKind.OpenSslServer), out SetupCell? openSsl);
            bool storm = id == StormId;
            Line(table, label, storm ? "connections/s (N ÷ time until all established)" : "connections/s", serve.Rate, sslStream.Rate, openSsl?.Rate, "F0", openSsl is null ? null : Range(serve, openSsl, rate: true));
            Line(table, label, "server CPU per connection, us", serve.CpuMicrosecondsPerConnection, sslStream.CpuMicrosecondsPerConnection, openSsl?.CpuMicrosecondsPerConnection, "F0",
                openSsl is null ? null : Range(serve, openSsl, rate: false));
            if (storm)
            {
                Line(table, label, "time until all established, s (worst storm)", serve.StormSeconds.DefaultIfEmpty().Max(), sslStream.StormSeconds.DefaultIfEmpty().Max(), null, "F2", null);
                Line(table, label, "handshake latency p50, ms", serve.LatencyMilliseconds(50), sslStream.LatencyMilliseconds(50), null, "F0", null);
                Line(table, label, "handshake latency p99, ms", serve.LatencyMilliseconds(99), sslStream.LatencyMilliseconds(99), null, "F0", null);
                Line(table, label, "established / failed / timed out", serve.Connections, sslStream.Connections, null, "F0", null,
                    $"{Count(serve)} · {Count(sslStream)}");
            }
            else if (serve.Marked > 0 || sslStream.Marked > 0 || (openSsl?.Marked ?? 0) > 0)
            {
                Line(table, label, "resumed, % of connections", serve.ResumedShare * 100, sslStream.ResumedShare * 100, openSsl is null ? null : openSsl.ResumedShare * 100, "F1", null);
            }
        }

        return table.ToString().TrimEnd('\n');
    }

    private static string Count(SetupCell cell) => $"{cell.Connections}/{cell.Failures}/{cell.Timeouts}";

    private static void Line(StringBuilder table, string label, string figure, double serve, double sslStream, double? openSsl, string format, string? ratio, string? note = null)
    {
        string Cell(double? value) => value is null ? "–" : value.Value.ToString(format, CultureInfo.InvariantCulture);
        string last = note ?? ratio ?? "–";
        table.Append(CultureInfo.InvariantCulture, $"| {label} | {figure} | {Cell(serve)} | {Cell(sslStream)} | {Cell(openSsl)} | {last} |\n");
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
