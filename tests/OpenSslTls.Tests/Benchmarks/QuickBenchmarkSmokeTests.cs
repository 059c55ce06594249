using System.Globalization;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Benchmarks;

/// <summary>
/// <c>./build.sh bench --quick</c> still runs end to end: the two C references (tlsbench and the memory-BIO program
/// membio, built beside it) and the two managed <c>--serve</c> children start, take their interleaved samples and the
/// table comes out. Tiny parameters; no figure is judged (timings on a
/// shared machine say nothing about correctness), only that every column holds one.
/// </summary>
public sealed class QuickBenchmarkSmokeTests
{
    [SkippableFact]
    public void A_tiny_quick_run_prints_the_table_with_C_C_mem_BIO_SslStream_and_OpenSslTls_figures()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the C harness and the CPU clock are Linux-only");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available (the benchmark PKI is made with it)");
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string program = Path.Combine(RepositoryPaths.Root, "bench", "OpenSslTls.Benchmarks", "bin", configuration, "net10.0", "OpenSslTls.Benchmarks.dll");
        Skip.IfNot(File.Exists(program), $"{program} not built (build OpenSslTls.sln)");

        string harnessDirectory = Directory.CreateTempSubdirectory("openssltls-tlsbench-").FullName;
        try
        {
            var make = ProcessRunner.Run("make", ["-s", "-C", Path.Combine(RepositoryPaths.Native, "bench"), "OUT=" + harnessDirectory], TimeSpan.FromMinutes(2));
            Assert.True(make.ExitCode == 0, "building the C harness failed:\n" + make.StandardOutput + make.StandardError);
            string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";

            (int exit, string output, string errors) = ProcessRunner.Run(
                host,
                [program, "--quick", "--c-harness", Path.Combine(harnessDirectory, "tlsbench"), "--only", "record-aes128gcm-512",
                    "--samples", "2", "--sample-ms", "50", "--process-warmup-ms", "50"],
                TimeSpan.FromMinutes(3));

            Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
            Assert.Contains("| scenario | unit | C | C mem-BIO | SslStream | OpenSslTls | ours/C | ours/C mem-BIO | ours/SslStream | managed B SslStream | managed B OpenSslTls |", output, StringComparison.Ordinal);
            string row = Assert.Single(output.Split('\n'), line => line.StartsWith("| record ", StringComparison.Ordinal));
            string[] cells = row.Split('|', StringSplitOptions.TrimEntries)[1..^1];
            Assert.Equal("record 512 B AES-128-GCM", cells[0]);
            foreach (string figure in cells[2..])
            {
                Assert.True(double.TryParse(figure, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0, $"not a figure: '{figure}' in {row}");
            }

            Assert.True(double.Parse(cells[2], CultureInfo.InvariantCulture) > 0, "C rate is zero: " + row);
            Assert.True(double.Parse(cells[3], CultureInfo.InvariantCulture) > 0, "C mem-BIO rate is zero: " + row);
            Assert.True(double.Parse(cells[5], CultureInfo.InvariantCulture) > 0, "OpenSslTls rate is zero: " + row);
            Assert.True(double.Parse(cells[7], CultureInfo.InvariantCulture) > 0, "no ours/C mem-BIO ratio: " + row);
            Assert.Contains("# record-aes128gcm-512 OpenSslTls: TLSv1.3 TLS_AES_128_GCM_SHA256", errors, StringComparison.Ordinal);
            Assert.Contains("# record-aes128gcm-512 OpenSslTls/C round by round: ", errors, StringComparison.Ordinal);
            Assert.Contains("# record-aes128gcm-512 OpenSslTls/C mem-BIO round by round: ", errors, StringComparison.Ordinal);
            Assert.Contains("# record-aes128gcm-512 C mem-BIO: ", errors, StringComparison.Ordinal);
            Assert.Contains("ours/C, ours/C mem-BIO, ours/SslStream: median of the round-by-round ratios", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(harnessDirectory, recursive: true);
        }
    }
}
