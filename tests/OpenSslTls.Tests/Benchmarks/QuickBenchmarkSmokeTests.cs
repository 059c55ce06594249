using System.Globalization;
using System.Xml.Linq;
using OpenSslTls.Benchmarks.Charts;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Benchmarks;

/// <summary>
/// <c>./build.sh bench --quick</c> still runs end to end: the two C references (tlsbench and the memory-BIO program
/// membio, built beside it) and the two managed <c>--serve</c> children start, take their interleaved samples and the
/// table comes out, with a progress line per scenario on stderr, the figures in the CSV (both C references among
/// them) and the charts drawn from it (and redrawn alike by <c>--draw</c>). Tiny parameters; no figure is judged
/// (timings on a shared machine say nothing about correctness), only that every column holds one.
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
                    "--samples", "2", "--sample-ms", "50", "--process-warmup-ms", "50",
                    "--csv", Path.Combine(harnessDirectory, "quick.csv"), "--charts", Path.Combine(harnessDirectory, "charts")],
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
            Assert.Matches(@"\[quick 1/1, 0:\d\d:\d\d\] record-aes128gcm-512", errors);

            IReadOnlyList<BenchFigure> figures = FigureCsv.Read(Path.Combine(harnessDirectory, "quick.csv"));
            Assert.Equal(
                ["C", "C mem-BIO", "SslStream", "OpenSslTls"],
                figures.Where(f => f.Metric == ChartCatalog.RecordRate).Select(f => f.Implementation));
            Assert.All(figures.Where(f => f.Metric == ChartCatalog.RecordRate), f => Assert.Equal(("record 512 B AES-128-GCM", "MB/s"), (f.Scenario, f.Unit)));
            Assert.Equal(["C mem-BIO", "SslStream", "OpenSslTls"], figures.Where(f => f.Metric == ChartCatalog.RatioToC).Select(f => f.Implementation));
            Assert.Contains(figures, f => f.Implementation == BenchFigure.Run && f.Metric == ChartSet.LoadAtEnd);

            string chart = Path.Combine(harnessDirectory, "charts", "quick-records.svg");
            XNamespace svg = "http://www.w3.org/2000/svg";
            Assert.Equal(4, XDocument.Load(chart).Descendants(svg + "rect").Count(r => (string?)r.Attribute("class") == "bar"));

            // --draw redraws the same charts from the CSV alone.
            string redrawn = Path.Combine(harnessDirectory, "redrawn");
            (int drawExit, string drawOutput, string drawErrors) = ProcessRunner.Run(host, [program, "--draw", Path.Combine(harnessDirectory, "quick.csv"), redrawn], TimeSpan.FromMinutes(1));
            Assert.True(drawExit == 0, $"--draw: exit {drawExit}{Environment.NewLine}{drawOutput}{drawErrors}");
            Assert.Equal(File.ReadAllText(chart), File.ReadAllText(Path.Combine(redrawn, "quick-records.svg")));
            Assert.Equal(
                Directory.GetFiles(Path.Combine(harnessDirectory, "charts")).Select(Path.GetFileName).Order(),
                Directory.GetFiles(redrawn).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(harnessDirectory, recursive: true);
        }
    }
}
