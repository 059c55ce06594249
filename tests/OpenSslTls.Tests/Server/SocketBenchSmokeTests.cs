using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// The socket benchmark (bench/OpenSslTls.SocketBench) still runs end to end: both server children start, negotiate
/// what they are pinned to, take load, stop, and the table comes out. Tiny parameters; no figure is judged, since
/// timings on a shared machine say nothing about correctness.
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

        (int exit, string output, string errors) = ProcessRunner.Run(
            host,
            [program, "--seconds", "0.5", "--warmup", "0.2", "--slice-ms", "250", "--connections", "2", "--workers", "1", "--only", "tls13"],
            TimeSpan.FromMinutes(3));

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        Assert.Contains("| figure | unit | OpenSslTls (`serve`) | SslStream | OpenSslTls ÷ SslStream |", output, StringComparison.Ordinal);
        Assert.Contains("| OPTIONS, TLS 1.3, 2 connections: rate | transactions/s (higher is better) |", output, StringComparison.Ordinal);
        Assert.Contains("| new connections, TLS 1.3, 1 worker: rate | connections/s (higher is better) |", output, StringComparison.Ordinal);
        Assert.DoesNotContain("TLS 1.2", output, StringComparison.Ordinal);
        Assert.Contains("OpenSslTls pid", errors, StringComparison.Ordinal);
        Assert.Contains("SslStream  pid", errors, StringComparison.Ordinal);
        Assert.Contains("negotiated TLSv1.3 TLS_AES_256_GCM_SHA384", errors, StringComparison.Ordinal);
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
