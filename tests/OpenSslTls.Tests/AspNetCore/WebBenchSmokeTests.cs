using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.AspNetCore;

/// <summary>
/// The web benchmark (bench/OpenSslTls.WebBench, <c>./build.sh bench-web</c>) still runs end to end: both Kestrel
/// children start, h2load, s_time and s_client drive them, every figure has a value for both, and the table comes out.
/// Tiny parameters; no figure is judged (timings on a shared machine say nothing about correctness).
/// </summary>
public sealed class WebBenchSmokeTests
{
    [SkippableFact]
    public void A_tiny_run_prints_every_figure_for_both_servers()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the benchmark reads /proc");
        Prerequisites.Require(File.Exists("/usr/bin/h2load"), "h2load is not installed (Debian package nghttp2-client)");
        Prerequisites.Require(OpenSslCli.IsAvailable, "the openssl CLI is not installed");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        (int exit, string output, string errors) = ProcessRunner.Run(
            host, [Path.Combine(AppContext.BaseDirectory, "OpenSslTls.WebBench.dll"), "--tiny"], TimeSpan.FromMinutes(6));

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        Assert.Contains("| figure | OpenSslTls | SslStream | ours/SslStream | target | met |", output, StringComparison.Ordinal);
        foreach (string figure in (string[])[
            "| requests/s, kept-alive HTTP/1.1", "| requests/s, kept-alive HTTP/2", "| new TLS connections/s, full handshake",
            "| new TLS connections/s offering the last session", "| TLS 1.3 connections resumed of", "| TLS 1.2 connections resumed by ticket", "| TLS 1.2 connections resumed by session id", "| server memory per idle TLS connection",
            "| server CPU per request, HTTP/1.1", "| server CPU per new connection"])
        {
            string row = Assert.Single(output.Split('\n'), line => line.StartsWith(figure, StringComparison.Ordinal));
            Assert.DoesNotContain("n/a", row, StringComparison.Ordinal);
        }

        Assert.Equal(3, output.Split('\n').Count(line => line.StartsWith("resumption, IP-addressed client, ", StringComparison.Ordinal)));
        Assert.Contains("round 1/1", errors, StringComparison.Ordinal);
    }
}
