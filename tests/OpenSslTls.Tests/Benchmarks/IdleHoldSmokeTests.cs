using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Benchmarks;

/// <summary>
/// The in-memory idle probe's <c>--idle-hold N</c> mode (the million-connection run, docs/benchmarks.md) still runs:
/// tiny N, progress on stderr, the per-connection line on stdout. No figure is judged.
/// </summary>
public sealed class IdleHoldSmokeTests
{
    [SkippableFact]
    public void A_tiny_idle_hold_prints_memory_per_connection()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "reads /proc/self/status and glibc's mallinfo2");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available (the benchmark PKI is made with it)");
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string program = Path.Combine(RepositoryPaths.Root, "bench", "OpenSslTls.Benchmarks", "bin", configuration, "net10.0", "OpenSslTls.Benchmarks.dll");
        Skip.IfNot(File.Exists(program), $"{program} not built (build OpenSslTls.sln)");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";

        (int exit, string output, string errors) = ProcessRunner.Run(host, [program, "--idle-hold", "40"], TimeSpan.FromMinutes(2));

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        Assert.Matches(@"^40 idle TLS 1\.3 server connections \(idle server conn, release_buffers=1\) held in one process: RSS -?\d+\.\d\d KB per connection, malloc in use -?\d+\.\d\d KB, live managed -?\d+ B; ", output);
        Assert.Contains("# idle hold: 40 TLS 1.3 server connections", errors, StringComparison.Ordinal);
        (exit, _, errors) = ProcessRunner.Run(host, [program, "--idle-hold", "many"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, exit);
        Assert.Contains("usage: --idle-hold N", errors, StringComparison.Ordinal);
    }
}
