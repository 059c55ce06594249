using System.Globalization;
using OpenSslTls.Benchmarks.Report;
using OpenSslTls.Certificates;

namespace OpenSslTls.WebBench;

/// <summary>
/// Starts both servers once, then measures every figure on both in interleaved rounds (the order alternates per
/// round), and prints the medians and the median of the per-round ratios ours/SslStream, with the issue's targets.
/// Server CPU comes from /proc (user + system of the whole server process over the run), so it survives a loaded machine.
/// </summary>
internal static class WebBenchRunner
{
    private const string Ours = "ours";
    private const string Theirs = "sslstream";
    private const int HandshakeBatch = 100;

    /// <summary>One figure: its name, unit, whether higher is better, the issue's target on the ratio (null: none), and the values per server per round.</summary>
    private sealed class Figure(string name, string unit, bool higherIsBetter, double? target)
    {
        public string Name { get; } = name;

        public string Unit { get; } = unit;

        public bool HigherIsBetter { get; } = higherIsBetter;

        public double? Target { get; } = target;

        public Dictionary<string, List<double>> Values { get; } = new() { [Ours] = [], [Theirs] = [] };
    }

    public static async Task<int> RunAsync(WebBenchOptions options, TextWriter output, TextWriter log)
    {
        string directory = Directory.CreateTempSubdirectory("OpenSslTls-WebBench-").FullName;
        try
        {
            string certificate = Path.Combine(directory, "localhost.pem");
            string key = Path.Combine(directory, "localhost.key");
            SelfSignedCertificateBuilder.ForLocalhost().Create().WriteFiles(certificate, key);
            bool pin = options.Pin && Environment.ProcessorCount > 1 && File.Exists("/usr/bin/taskset");
            LoadTools.CpuList = pin ? "1" : null;
            log.WriteLine($"bench-web: load average {LoadAverageText.Read()}, {Environment.ProcessorCount} CPUs, {(pin ? "servers on CPU 0, load tools on CPU 1" : "no pinning")}");

            using ServerProcess ours = ServerProcess.Start(Ours, certificate, key, pin ? "0" : null);
            using ServerProcess theirs = ServerProcess.Start(Theirs, certificate, key, pin ? "0" : null);
            var servers = new Dictionary<string, ServerProcess> { [Ours] = ours, [Theirs] = theirs };
            foreach (ServerProcess server in servers.Values)
            {
                // Warm-up: JIT, pools, both protocols, a few handshakes.
                LoadTools.H2Load(server.Url, Math.Min(options.Requests, 2000), 4, http1: true);
                LoadTools.H2Load(server.Url, Math.Min(options.Requests, 2000), 2, http1: false, streams: 8);
                LoadTools.H2Load(server.Url, 20, 20, http1: true);
            }

            Figure h1 = new("requests/s, kept-alive HTTP/1.1 (h2load --h1 -c 16)", "req/s", true, 1.0);
            Figure h1Cpu = new("server CPU per request, HTTP/1.1", "µs", false, null);
            Figure h2 = new("requests/s, kept-alive HTTP/2 (h2load -c 4 -m 16)", "req/s", true, 1.0);
            Figure h2Cpu = new("server CPU per request, HTTP/2", "µs", false, null);
            Figure full = new($"new TLS connections/s, full handshake (h2load --h1 -c {HandshakeBatch} -n {HandshakeBatch}, one request each)", "conn/s", true, 1.3);
            Figure fullCpu = new("server CPU per new connection, full handshake", "µs", false, null);
            Figure serialNew = new("new TLS connections/s, one at a time (openssl s_time -new)", "conn/s", true, null);
            Figure resumed = new("new TLS connections/s offering the last session (openssl s_time -reuse, to 127.0.0.1)", "conn/s", true, null);
            Figure resumedShare = new($"TLS 1.3 connections resumed of {ResumeTries(options)} offering the first one's session (openssl s_client -sess_in, to 127.0.0.1)", "%", true, null);
            Figure resumed12Ticket = new($"TLS 1.2 connections resumed by ticket (s_client -tls1_2 -sess_in, of {ResumeTries(options)})", "%", true, null);
            Figure resumed12Id = new($"TLS 1.2 connections resumed by session id (s_client -tls1_2 -no_ticket -sess_in, of {ResumeTries(options)})", "%", true, null);
            Figure resumedCpu = new("server CPU per connection offering a session", "µs", false, null);
            Figure idle = new($"server memory per idle TLS connection (RSS delta / {options.Idle}, after a full GC)", "bytes", false, 0.5);
            Figure idleManaged = new("of which live managed bytes per idle connection (GC.GetTotalMemory delta)", "bytes", false, null);
            Figure idleNative = new("of which glibc malloc bytes per idle connection (mallinfo2 delta: OpenSSL, the runtime's native side)", "bytes", false, null);
            Figure[] figures = [h1, h1Cpu, h2, h2Cpu, full, fullCpu, serialNew, resumed, resumedCpu, resumedShare, resumed12Ticket, resumed12Id, idle, idleManaged, idleNative];

            for (int round = 1; round <= options.Rounds; round++)
            {
                string[] order = round % 2 == 1 ? [Ours, Theirs] : [Theirs, Ours];
                log.WriteLine($"round {round}/{options.Rounds} ({order[0]} first), load average {LoadAverageText.Read()}");
                foreach (string kind in order)
                {
                    Measure(servers[kind], h1, h1Cpu, () => LoadTools.H2Load(servers[kind].Url, options.Requests, 16, http1: true));
                }

                foreach (string kind in order)
                {
                    Measure(servers[kind], h2, h2Cpu, () => LoadTools.H2Load(servers[kind].Url, options.Requests, 4, http1: false, streams: 16));
                }

                foreach (string kind in order)
                {
                    Measure(servers[kind], full, fullCpu, () => Handshakes(servers[kind].Url, options.Connections));
                }

                foreach (string kind in order)
                {
                    LoadTools.LoadResult result = LoadTools.STime(servers[kind].Port, options.STimeSeconds, reuse: false);
                    serialNew.Values[kind].Add(result.Succeeded / result.Seconds);
                }

                foreach (string kind in order)
                {
                    ServerProcess server = servers[kind];
                    double cpu = server.CpuSeconds();
                    LoadTools.LoadResult result = LoadTools.STime(server.Port, options.STimeSeconds, reuse: true);
                    double used = server.CpuSeconds() - cpu;
                    resumed.Values[kind].Add(result.Succeeded / result.Seconds);
                    resumedShare.Values[kind].Add(100.0 * LoadTools.ResumedOf(server.Port, ResumeTries(options)) / ResumeTries(options));
                    resumed12Ticket.Values[kind].Add(100.0 * LoadTools.ResumedOf(server.Port, ResumeTries(options), "-tls1_2") / ResumeTries(options));
                    resumed12Id.Values[kind].Add(100.0 * LoadTools.ResumedOf(server.Port, ResumeTries(options), "-tls1_2", "-no_ticket") / ResumeTries(options));
                    resumedCpu.Values[kind].Add(used * 1e6 / Math.Max(1, result.Succeeded));
                }

                foreach (string kind in order)
                {
                    (double rss, double managed, double native) = await IdleBytesAsync(servers[kind], options.Idle).ConfigureAwait(false);
                    idle.Values[kind].Add(rss);
                    idleManaged.Values[kind].Add(managed);
                    idleNative.Values[kind].Add(native);
                }

                foreach (Figure figure in figures)
                {
                    log.WriteLine($"  {figure.Name}: ours {Text(figure.Values[Ours][^1])}, SslStream {Text(figure.Values[Theirs][^1])}, ratio {Ratio(figure.Values[Ours][^1], figure.Values[Theirs][^1])}");
                }
            }

            output.WriteLine($"bench-web: {options.Rounds} interleaved round(s), {options.Requests} requests per kept-alive run, {options.Connections} new connections per run, {options.Idle} idle connections; load average {LoadAverageText.Read()}");
            output.WriteLine();
            output.WriteLine("| figure | OpenSslTls | SslStream | ours/SslStream | target | met |");
            output.WriteLine("|---|---:|---:|---:|---|---|");
            foreach (Figure figure in figures)
            {
                double oursValue = Median(figure.Values[Ours]);
                double theirsValue = Median(figure.Values[Theirs]);
                double ratio = Median([.. figure.Values[Ours].Zip(figure.Values[Theirs], (a, b) => b == 0 ? double.NaN : a / b)]);
                string target = figure.Target is { } t ? (figure.HigherIsBetter ? $"≥ {t:0.0}x" : $"≤ {t:0.0}x") : "";
                string met = figure.Target is { } goal ? ((figure.HigherIsBetter ? ratio >= goal : ratio <= goal) ? "yes" : "no") : "";
                output.WriteLine($"| {figure.Name} | {Text(oursValue)} {figure.Unit} | {Text(theirsValue)} {figure.Unit} | {(double.IsNaN(ratio) ? "n/a" : ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x")} | {target} | {met} |");
            }

            output.WriteLine();
            foreach (Figure share in (Figure[])[resumedShare, resumed12Ticket, resumed12Id])
            {
                double oursShare = Median(share.Values[Ours]);
                double theirsShare = Median(share.Values[Theirs]);
                string verdict = oursShare >= 90 && theirsShare < 10 ? "met: ours resumes, SslStream's does not"
                    : oursShare >= 90 ? "ours resumes; so does SslStream's here (nothing to show)"
                    : "not met: ours does not resume";
                output.WriteLine($"resumption, IP-addressed client, {share.Name}: OpenSslTls {Text(oursShare)} %, SslStream {Text(theirsShare)} %; target (working where SslStream's does not): {verdict}");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static int ResumeTries(WebBenchOptions options) => options.Rounds == 1 && options.Requests <= 200 ? 3 : 20;

    private static void Measure(ServerProcess server, Figure rate, Figure cpu, Func<LoadTools.LoadResult> run)
    {
        double before = server.CpuSeconds();
        LoadTools.LoadResult result = run();
        double used = server.CpuSeconds() - before;
        rate.Values[server.Kind].Add(result.Succeeded / result.Seconds);
        cpu.Values[server.Kind].Add(used * 1e6 / Math.Max(1, result.Succeeded));
    }

    /// <summary><paramref name="count"/> new connections in h2load runs of <see cref="HandshakeBatch"/> concurrent clients, one request each; h2load's own times summed.</summary>
    private static LoadTools.LoadResult Handshakes(string url, int count)
    {
        long succeeded = 0;
        double seconds = 0;
        for (int made = 0; made < count; made += HandshakeBatch)
        {
            int batch = Math.Min(HandshakeBatch, count - made);
            LoadTools.LoadResult result = LoadTools.H2Load(url, batch, batch, http1: true);
            succeeded += result.Succeeded;
            seconds += result.Seconds;
        }

        return new LoadTools.LoadResult(succeeded, seconds, 0, string.Empty);
    }

    /// <summary>Per idle connection: the RSS delta, and the parts of it on the managed heap and in glibc's malloc.</summary>
    private static async Task<(double Rss, double Managed, double Native)> IdleBytesAsync(ServerProcess server, int count)
    {
        server.CollectGarbage();
        await Task.Delay(500).ConfigureAwait(false);
        long before = server.RssBytes();
        (long managedBefore, long nativeBefore) = server.HeapBytes();
        await using IdleConnections idle = await IdleConnections.OpenAsync(server.Port, count).ConfigureAwait(false);
        server.CollectGarbage();
        await Task.Delay(500).ConfigureAwait(false);
        long after = server.RssBytes();
        (long managedAfter, long nativeAfter) = server.HeapBytes();
        return ((after - before) / (double)count, (managedAfter - managedBefore) / (double)count, (nativeAfter - nativeBefore) / (double)count);
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Where(value => !double.IsNaN(value)).Order()];
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Ratio(double ours, double theirs) => theirs == 0 ? "n/a" : (ours / theirs).ToString("0.00", CultureInfo.InvariantCulture) + "x";

    private static string Text(double value) => double.IsNaN(value) ? "n/a" : value.ToString(Math.Abs(value) >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
}
