using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// <c>./build.sh cluster-demo</c>'s script still runs end to end, tiny: Redis and six serve nodes start, every mode is
/// driven through both trios, and the table and the CSV come out. No rate or CPU figure is judged (a loaded machine
/// says nothing about them); the resumption itself is asserted by the cluster tests.
/// </summary>
public sealed class ClusterDemoSmokeTests
{
    [SkippableFact]
    public void A_tiny_run_prints_every_mode_with_and_without_the_store()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the demo reads /proc");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        _ = RedisServerProcess.Executable();
        string script = FindScript();
        string serve = Path.Combine(AppContext.BaseDirectory, "OpenSslTls.Server.dll");
        string work = Directory.CreateTempSubdirectory("openssltls-cluster-demo-").FullName;
        try
        {
            (int exit, string output, string errors) = ProcessRunner.Run("bash", [script, serve, "--reconnects", "2", "--out", work], TimeSpan.FromMinutes(4));
            Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
            foreach (string mode in (string[])["tls13-ticket", "tls12-ticket", "tls12-session-id"])
            {
                Assert.Matches($@"(?m)^{mode}\s+redis\s+\d/2\s+[0-9.]+ %\s+[0-9.]+$", output);
                Assert.Matches($@"(?m)^{mode}\s+none\s+\d/2\s+[0-9.]+ %\s+[0-9.]+$", output);
                Assert.Matches($@"(?m)^CPU saved per reconnect {mode}: -?[0-9.]+ ms \([0-9.]+ without the store, [0-9.]+ with it", output);
            }

            Assert.Contains("load average: ", output, StringComparison.Ordinal);
            string[] csv = File.ReadAllLines(Path.Combine(work, "cluster-demo.csv"));
            Assert.Equal("mode,store,resumed,reconnects,rate_percent,server_cpu_ms_per_connection", csv[0]);
            Assert.Equal(7, csv.Length);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string FindScript()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "bench", "cluster-demo", "cluster-demo.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("bench/cluster-demo/cluster-demo.sh not found above " + AppContext.BaseDirectory);
    }
}
