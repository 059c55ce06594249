using System.Xml.Linq;
using OpenSslTls.Benchmarks.Charts;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// The socket benchmark (bench/OpenSslTls.SocketBench) still runs end to end: both server children start, negotiate
/// what they are pinned to, take load, stop, and the table comes out, with a progress line per workload on stderr, the
/// figures in the CSV and the server-CPU charts drawn from it. Tiny parameters; no figure is judged, since timings on
/// a shared machine say nothing about correctness.
/// </summary>
public sealed class SocketBenchSmokeTests
{
    [SkippableFact]
    public void A_tiny_run_prints_the_comparison_table_without_failures()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the benchmark reads /proc and signals its children");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available (the benchmark PKI is made with it)");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        string program = Path.Combine(AppContext.BaseDirectory, "OpenSslTls.SocketBench.dll");
        string work = Directory.CreateTempSubdirectory("openssltls-socketbench-").FullName;
        try
        {
            Run(host, program, work);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Run(string host, string program, string work)
    {
        string csv = Path.Combine(work, "sockets.csv");
        (int exit, string output, string errors) = ProcessRunner.Run(
            host,
            [program, "--seconds", "0.5", "--warmup", "0.2", "--slice-ms", "250", "--connections", "2", "--workers", "1", "--only", "tls13",
                "--csv", csv, "--charts", Path.Combine(work, "charts")],
            TimeSpan.FromMinutes(3));

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        Assert.Contains("| figure | unit | OpenSslTls (`serve`) | SslStream | OpenSslTls ÷ SslStream |", output, StringComparison.Ordinal);
        Assert.Contains("| OPTIONS, TLS 1.3, 2 connections: rate | transactions/s (higher is better) |", output, StringComparison.Ordinal);
        Assert.Contains("| new connections, TLS 1.3, 1 worker: rate | connections/s (higher is better) |", output, StringComparison.Ordinal);
        Assert.DoesNotContain("TLS 1.2", output, StringComparison.Ordinal);
        Assert.Contains("OpenSslTls pid", errors, StringComparison.Ordinal);
        Assert.Contains("SslStream  pid", errors, StringComparison.Ordinal);
        Assert.Contains("negotiated TLSv1.3 TLS_AES_256_GCM_SHA384", errors, StringComparison.Ordinal);
        Assert.Matches(@"\[sockets 1/2, 0:\d\d:\d\d\] options-tls13: OpenSslTls [0-9.]+/s, SslStream [0-9.]+/s", errors);
        Assert.Matches(@"\[sockets 2/2, 0:\d\d:\d\d\] connections-tls13: ", errors);

        IReadOnlyList<BenchFigure> figures = FigureCsv.Read(csv);
        Assert.Equal(
            [("new connections, TLS 1.3, 1 worker", "OpenSslTls (serve)"), ("new connections, TLS 1.3, 1 worker", "SslStream")],
            figures.Where(f => f.Metric == ChartCatalog.ServerCpuPerConnection).Select(f => (f.Scenario, f.Implementation)));
        Assert.Equal(2, figures.Count(f => f.Metric == ChartCatalog.ServerCpuPerTransaction && f.Scenario == "OPTIONS, TLS 1.3, 2 connections"));
        XNamespace svg = "http://www.w3.org/2000/svg";
        foreach (string chart in (string[])["sockets-server-cpu-per-connection.svg", "sockets-server-cpu-per-transaction.svg"])
        {
            Assert.Equal(2, XDocument.Load(Path.Combine(work, "charts", chart)).Descendants(svg + "rect").Count(r => (string?)r.Attribute("class") == "bar"));
        }
    }

    [SkippableFact]
    public void A_tiny_set_up_run_with_a_tiny_storm_prints_its_table_without_failures()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the benchmark reads /proc and signals its children");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available (s_time, s_server and the benchmark PKI)");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        string program = Path.Combine(AppContext.BaseDirectory, "OpenSslTls.SocketBench.dll");

        // One new and one resumed row (the TLS 1.3 one, which needs s_time -www and serve's close_notify), one round of
        // one second each, no warm-up; a storm of 20 connections.
        (int exit, string output, string errors) = ProcessRunner.Run(
            host,
            [program, "--setup", "--seconds", "1", "--warmup", "0", "--rounds", "1", "--storm", "20",
                "--only", "setup-new-tls12-rsa", "--only", "setup-resumed-tls13", "--only", "storm"],
            TimeSpan.FromMinutes(4));

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        Assert.Contains("| connection set-up | figure | serve | SslStream | s_server | serve ÷ s_server (rounds: min–max) |", output, StringComparison.Ordinal);
        Assert.Contains("| new TLS 1.2, RSA-2048 | server CPU per connection, us |", output, StringComparison.Ordinal);
        Assert.Contains("| resumed TLS 1.3, ticket (PSK) | resumed, % of connections | 100.0 |", output, StringComparison.Ordinal);
        Assert.Contains("| storm, 20 new TLS 1.3 at once | established | 20 | 20 | – |", output, StringComparison.Ordinal);
        Assert.Contains("| storm, 20 new TLS 1.3 at once | timed out | 0 | 0 | – |", output, StringComparison.Ordinal);
        Assert.Contains("| storm, 20 new TLS 1.3 at once | client CPU per connection attempted, us (the bench process) |", output, StringComparison.Ordinal);
        Assert.DoesNotContain("new TLS 1.3, ECDSA", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILURES", output, StringComparison.Ordinal);
        Assert.Contains("s_server  pid", errors, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_tiny_idle_run_holds_the_connections_against_both_servers_and_reports_memory_per_connection()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the benchmark reads /proc and signals its children");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available (the benchmark PKI is made with it)");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        string program = Path.Combine(AppContext.BaseDirectory, "OpenSslTls.SocketBench.dll");

        // 3 per address: the 12 connections come from 4 source addresses.
        (int exit, string output, string errors) = ProcessRunner.Run(
            host,
            [program, "--idle", "12", "--per-address", "3", "--concurrency", "4", "--settle", "0"],
            TimeSpan.FromMinutes(3));

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        Assert.Contains("| idle TLS 1.3 connections held | connections | 12 | 12 | 1.00 |", output, StringComparison.Ordinal);
        Assert.Contains("| resident set per connection | KB (1000 B), after a full GC |", output, StringComparison.Ordinal);
        Assert.Contains("| live managed heap per connection | bytes |", output, StringComparison.Ordinal);
        Assert.Contains("| `ctl tls.list` with all open | ms (12 rows, 12 with release_buffers 1) |", output, StringComparison.Ordinal);
        Assert.Contains("tls.info in", errors, StringComparison.Ordinal);
        Assert.Contains("(opened_connections 12)", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILURES", output, StringComparison.Ordinal);
    }
}
