using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SocketBench.Load;
using OpenSslTls.SocketBench.Servers;
using OpenSslTls.SocketBench.SslStreamServer;

namespace OpenSslTls.SocketBench.Idle;

/// <summary>
/// <c>--idle N</c>: memory per idle TLS 1.3 connection over real loopback sockets. For each server in turn (serve as
/// shipped, with its defaults; then the SslStream server): start it, warm it up with 64 connect-OPTIONS-close
/// rounds, take a baseline, open N connections from source addresses 127.0.x.y (each: handshake, one OPTIONS and its
/// 200, as a SIP phone registering, then this side frees its TLS state and keeps only the socket), wait, measure
/// again, and divide the growth by N. Both measurements come after a full GC in the server (serve: <c>ctl core.memory</c>;
/// the SslStream server: SIGUSR1), so the managed figure is live bytes; the resident set as found before that GC is
/// reported too. serve's admin views (<c>tls.info</c>, <c>tls.list</c>) are timed with all N open.
/// </summary>
internal static class IdleBenchRunner
{
    private const int WarmupConnections = 64;

    private static readonly TimeSpan s_startLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_progressEvery = TimeSpan.FromSeconds(5);

    /// <summary>serve's only non-defaults: timeouts long enough that no idle connection expires while a large run is set up.</summary>
    private const string Modparams =
        "modparam(\"tls\", \"connection_timeout\", 3600)\ntcp_connection_lifetime=3600\n";

    public static async Task<int> RunAsync(IdleBenchOptions options, TextWriter output, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(log);

        // This process holds every client socket, the server as many: both inherit this limit.
        long wanted = (2L * options.Connections) + 4096;
        long descriptors = Libc.RaiseDescriptorLimit(wanted);
        if (descriptors < options.Connections + 1024)
        {
            await log.WriteLineAsync($"open-file limit {descriptors} is too low for {options.Connections} connections (run as root, or raise ulimit -n)").ConfigureAwait(false);
            return 2;
        }

        string loadAtStart = OpenSslTls.Benchmarks.Report.LoadAverageText.Read();
        await log.WriteLineAsync(
            $"idle bench: {options.Connections} connections per server, {options.PerAddress} per source address, {options.Concurrency} set up at once; " +
            $"open-file limit {descriptors}; load average {loadAtStart}").ConfigureAwait(false);
        using BenchPki pki = BenchPki.Create();
        string work = Directory.CreateTempSubdirectory("OpenSslTls-SocketBench-idle-").FullName;
        var results = new List<IdleServerResult>();
        try
        {
            if (options.Serve)
            {
                results.Add(await MeasureAsync(ServerKind.OpenSslTls, options, pki, work, log).ConfigureAwait(false));
            }

            if (options.SslStream)
            {
                if (options.Connections > new SipTlsServerOptions().MaxConnections - WarmupConnections)
                {
                    await log.WriteLineAsync($"SslStream server skipped: it takes at most {new SipTlsServerOptions().MaxConnections} connections").ConfigureAwait(false);
                }
                else
                {
                    results.Add(await MeasureAsync(ServerKind.SslStream, options, pki, work, log).ConfigureAwait(false));
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        await output.WriteLineAsync(Table(options, results)).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync(
            $"{options.Connections} idle TLS 1.3 connections per server over loopback, {options.PerAddress} per source address, {options.Concurrency} set up at once; " +
            $"load average (1/5/15 min) {loadAtStart} at start, {OpenSslTls.Benchmarks.Report.LoadAverageText.Read()} at end").ConfigureAwait(false);
        foreach (IdleServerResult result in results.Where(r => r.Failed > 0))
        {
            await output.WriteLineAsync($"FAILURES {result.Kind}: {result.Failed} failed, first: {result.FirstFailure}").ConfigureAwait(false);
        }

        return results.All(r => r.Failed == 0 && r.Held == options.Connections) ? 0 : 1;
    }

    private static async Task<IdleServerResult> MeasureAsync(ServerKind kind, IdleBenchOptions options, BenchPki pki, string work, TextWriter log)
    {
        string controlSocket = Path.Combine(work, "serve-idle.sock");
        IEnumerable<string> arguments;
        if (kind == ServerKind.OpenSslTls)
        {
            string modparams = Path.Combine(work, "serve-idle.modparams");
            await File.WriteAllTextAsync(modparams, Modparams).ConfigureAwait(false);
            var serve = new List<string>(ServerProcess.ServeArguments())
            {
                "--listen", "127.0.0.1:0",
                "--certificate", pki.Certificate(Benchmarks.ServerKey.P256),
                "--private-key", pki.PrivateKey(Benchmarks.ServerKey.P256),
                "--modparams", modparams,
                "--data-dir", Path.Combine(work, "serve-data"),
                "--control-socket", controlSocket,

                // Information would log two lines per connection; nothing else differs from the defaults.
                "--log-level", "warning",
            };
            if (options.Connections + WarmupConnections > new SipTlsServerOptions().MaxConnections)
            {
                serve.AddRange(["--max-connections", (options.Connections + WarmupConnections).ToString(CultureInfo.InvariantCulture)]);
            }

            arguments = serve;
        }
        else
        {
            arguments = [.. ServerProcess.SslStreamArguments(), pki.Directory, TlsPinning.Argument(BenchTlsVersion.Tls13)];
        }

        using TlsProfile client = TlsProfile.Create(
            TlsRole.Client,
            new TlsProfileSettings { Method = TlsMethod.TLSv1_3, CaList = pki.RootCertificate, VerifyCertificate = true },
            label: "client:socketbench-idle");
        using ServerProcess server = await ServerProcess.StartAsync(kind, arguments, work, s_startLimit).ConfigureAwait(false);
        string tag = kind == ServerKind.OpenSslTls ? "[serve]    " : "[SslStream]";
        await log.WriteLineAsync($"{tag} pid {server.Pid} listening on {server.Endpoint}").ConfigureAwait(false);
        var report = new ManagedReport(server, kind, controlSocket);
        var sockets = new Socket?[options.Connections];
        var result = new IdleServerResult { Kind = kind };
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromHours(2));
            for (int i = 0; i < WarmupConnections; i++)
            {
                using LoadClient warm = await LoadClient.ConnectAsync(server.Endpoint, client, BenchPki.ServerName, limit.Token).ConfigureAwait(false);
                await warm.ExchangeAsync(Options(server, warm, i), limit.Token).ConfigureAwait(false);
                if (i == 0 && warm.Info is { } info)
                {
                    await log.WriteLineAsync($"{tag} negotiated {info.Protocol} {info.CipherName}, server certificate verified: {info.PeerVerified}").ConfigureAwait(false);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1), limit.Token).ConfigureAwait(false);
            (long rssBefore, long managedBefore) = await report.TakeAsync(limit.Token).ConfigureAwait(false);
            double cpuBefore = server.CpuSeconds();

            var setup = Stopwatch.StartNew();
            int next = -1;
            int failed = 0;
            string? firstFailure = null;
            int held = 0;
            using var progress = new CancellationTokenSource();
            Task progressLoop = ProgressAsync(tag, server, options.Connections, () => Volatile.Read(ref held), () => Volatile.Read(ref failed), setup, log, progress.Token);
            async Task WorkerAsync()
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < options.Connections)
                {
                    try
                    {
                        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(limit.Token);
                        attempt.CancelAfter(TimeSpan.FromSeconds(60));
                        LoadClient connection = await LoadClient.ConnectAsync(server.Endpoint, client, BenchPki.ServerName, attempt.Token, SourceAddress(index / options.PerAddress))
                            .ConfigureAwait(false);
                        try
                        {
                            await connection.ExchangeAsync(Options(server, connection, index), attempt.Token).ConfigureAwait(false);
                        }
                        catch
                        {
                            connection.Dispose();
                            throw;
                        }

                        sockets[index] = connection.DetachSocket();
                        Interlocked.Increment(ref held);
                    }
                    catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or SipClientException)
                    {
                        if (Interlocked.Increment(ref failed) == 1)
                        {
                            firstFailure = $"connection {index}: {e.GetType().Name}: {e.Message}";
                        }
                    }
                }
            }

            await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(WorkerAsync))).ConfigureAwait(false);
            setup.Stop();
            await progress.CancelAsync().ConfigureAwait(false);
            await progressLoop.ConfigureAwait(false);
            double setupCpu = server.CpuSeconds() - cpuBefore;

            await Task.Delay(TimeSpan.FromSeconds(options.SettleSeconds), limit.Token).ConfigureAwait(false);
            long rssAsFound = ProcFs.ResidentBytes(server.Pid);
            (long rssAfter, long managedAfter) = await report.TakeAsync(limit.Token).ConfigureAwait(false);
            result = result with
            {
                Held = held,
                Failed = failed,
                FirstFailure = firstFailure,
                SetupSeconds = setup.Elapsed.TotalSeconds,
                SetupCpuSeconds = setupCpu,
                ResidentBefore = rssBefore,
                ResidentAfter = rssAfter,
                ResidentAsFound = rssAsFound,
                ManagedBefore = managedBefore,
                ManagedAfter = managedAfter,
            };
            await log.WriteLineAsync(
                $"{tag} {held} held ({failed} failed) in {setup.Elapsed.TotalSeconds:F1} s, server CPU {setupCpu:F1} s; RSS {rssBefore / 1048576.0:F1} -> {rssAfter / 1048576.0:F1} MiB " +
                $"(as found before the GC: {rssAsFound / 1048576.0:F1} MiB), live managed {managedBefore / 1048576.0:F1} -> {managedAfter / 1048576.0:F1} MiB").ConfigureAwait(false);

            if (kind == ServerKind.OpenSslTls)
            {
                result = await AdminViewsAsync(result, controlSocket, tag, log, limit.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (Socket? socket in sockets)
            {
                socket?.Dispose();
            }

            int? exit = await server.StopAsync(s_stopLimit).ConfigureAwait(false);
            if (exit != 0)
            {
                await log.WriteLineAsync($"{tag} exit {(exit?.ToString(CultureInfo.InvariantCulture) ?? "none (killed)")}; output:{Environment.NewLine}{server.OutputTail}").ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <summary>tls.info and tls.list with every connection open: how long each takes, and what tls.list says of the buffers.</summary>
    private static async Task<IdleServerResult> AdminViewsAsync(IdleServerResult result, string controlSocket, string tag, TextWriter log, CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        string info = await ServeControl.RequestAsync(controlSocket, "tls.info", cancellation).ConfigureAwait(false);
        double infoMs = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        string list = await ServeControl.RequestAsync(controlSocket, "tls.list", cancellation).ConfigureAwait(false);
        double listMs = watch.Elapsed.TotalMilliseconds;
        int rows = Count(list, "\tid: ");
        int releasing = Count(list, "\trelease_buffers: 1\n");
        await log.WriteLineAsync(
            $"{tag} tls.info in {infoMs:F1} ms (opened_connections {ServeControl.Field(info, "opened_connections")}); " +
            $"tls.list in {listMs:F0} ms: {rows} rows, {list.Length / 1048576.0:F1} MiB of text, {releasing} with release_buffers 1").ConfigureAwait(false);
        return result with
        {
            InfoMilliseconds = infoMs,
            ListMilliseconds = listMs,
            ListRows = rows,
            ReleasingRows = releasing,
            OpenedConnections = ServeControl.Field(info, "opened_connections"),
        };
    }

    private static async Task ProgressAsync(string tag, ServerProcess server, int total, Func<int> held, Func<int> failed, Stopwatch setup, TextWriter log, CancellationToken cancellation)
    {
        try
        {
            while (true)
            {
                await Task.Delay(s_progressEvery, cancellation).ConfigureAwait(false);
                int now = held();
                await log.WriteLineAsync(
                    $"{tag} {now}/{total} held, {failed()} failed, {now / setup.Elapsed.TotalSeconds:F0}/s, server RSS {ProcFs.ResidentBytes(server.Pid) / 1048576.0:F0} MiB, load {OpenSslTls.Benchmarks.Report.LoadAverageText.Read()}")
                    .ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Set-up finished.
        }
    }

    private static ReadOnlyMemory<byte> Options(ServerProcess server, LoadClient client, int cseq) =>
        Encoding.UTF8.GetBytes(new OptionsRequestBuilder(BenchPki.ServerName, server.Endpoint.Port, client.LocalEndPoint).Build(cseq + 1));

    /// <summary>Source address number <paramref name="n"/>: 127.0.1.1, 127.0.1.2, … 127.0.1.250, 127.0.2.1, … (all loopback on Linux).</summary>
    private static IPAddress SourceAddress(int n) => new([127, 0, (byte)(1 + (n / 250)), (byte)(1 + (n % 250))]);

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string Table(IdleBenchOptions options, List<IdleServerResult> results)
    {
        IdleServerResult? serve = results.FirstOrDefault(r => r.Kind == ServerKind.OpenSslTls);
        IdleServerResult? ssl = results.FirstOrDefault(r => r.Kind == ServerKind.SslStream);
        var text = new StringBuilder();
        text.AppendLine("| figure | unit | OpenSslTls (`serve`) | SslStream | OpenSslTls ÷ SslStream |");
        text.AppendLine("|---|---|---:|---:|---:|");
        void Row(string figure, string unit, Func<IdleServerResult, double> value, string format)
        {
            string ours = serve is null ? "—" : value(serve).ToString(format, CultureInfo.InvariantCulture);
            string theirs = ssl is null ? "—" : value(ssl).ToString(format, CultureInfo.InvariantCulture);
            string ratio = serve is null || ssl is null || value(ssl) == 0 ? "—" : (value(serve) / value(ssl)).ToString("F2", CultureInfo.InvariantCulture);
            text.AppendLine(CultureInfo.InvariantCulture, $"| {figure} | {unit} | {ours} | {theirs} | {ratio} |");
        }

        Row("idle TLS 1.3 connections held", "connections", r => r.Held, "F0");
        Row("resident set per connection", "KB (1000 B), after a full GC", r => r.ResidentPerConnection / 1000, "F1");
        Row("resident set per connection, as found", "KB, before that GC", r => r.ResidentAsFoundPerConnection / 1000, "F1");
        Row("live managed heap per connection", "bytes", r => r.ManagedPerConnection, "F0");
        Row("set-up rate", "connections/s (handshake + OPTIONS)", r => r.Held / r.SetupSeconds, "F0");
        Row("server CPU per set-up", "ms per connection", r => r.Held == 0 ? 0 : r.SetupCpuSeconds * 1000 / r.Held, "F3");
        Row("failed", "connections", r => r.Failed, "F0");
        if (serve is not null && serve.ListRows > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| `ctl tls.info` with all open | ms | {serve.InfoMilliseconds:F1} | — | — |");
            text.AppendLine(CultureInfo.InvariantCulture, $"| `ctl tls.list` with all open | ms ({serve.ListRows} rows, {serve.ReleasingRows} with release_buffers 1) | {serve.ListMilliseconds:F0} | — | — |");
        }

        return text.ToString().TrimEnd();
    }


    /// <summary>The server's own figures after a full GC: serve's <c>ctl core.memory</c>, the SslStream child's SIGUSR1 line; then its resident set from /proc.</summary>
    private sealed class ManagedReport(ServerProcess server, ServerKind kind, string controlSocket)
    {
        private int _reports;

        public async Task<(long Resident, long Managed)> TakeAsync(CancellationToken cancellation)
        {
            long managed;
            if (kind == ServerKind.OpenSslTls)
            {
                managed = ServeControl.Field(await ServeControl.RequestAsync(controlSocket, "core.memory", cancellation).ConfigureAwait(false), "managed_live");
            }
            else
            {
                int expected = ++_reports;
                string prefix = SslStreamServerMode.ManagedHeapLine + expected.ToString(CultureInfo.InvariantCulture) + " ";
                server.Signal(Libc.SigUsr1);
                var waited = Stopwatch.StartNew();
                string? line;
                while ((line = server.OutputTail.Split(Environment.NewLine).LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))) is null)
                {
                    if (waited.Elapsed > TimeSpan.FromSeconds(60))
                    {
                        throw new TimeoutException($"the SslStream server did not report its managed heap: {server.OutputTail}");
                    }

                    await Task.Delay(20, cancellation).ConfigureAwait(false);
                }

                managed = long.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
            }

            return (ProcFs.ResidentBytes(server.Pid), managed);
        }
    }
}
