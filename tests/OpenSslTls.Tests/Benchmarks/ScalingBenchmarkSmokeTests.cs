using System.Globalization;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Benchmarks;

/// <summary>
/// The benchmark's <c>--scaling</c> mode runs end to end: handshakes on 1..N threads, with contexts of their own and
/// shared, every case a row with figures. Tiny parameters; no figure is judged, only that each row holds one and a
/// bad scenario id is refused with the list of known ones instead of a stack trace.
/// </summary>
public sealed class ScalingBenchmarkSmokeTests
{
    [SkippableFact]
    public void A_tiny_scaling_run_prints_a_row_per_thread_count_and_context_sharing()
    {
        string program = Program();
        (int exit, string output, string errors) = ProcessRunner.Run(Host, [program, "--scaling", "resume-tls12-ticket", "1", "1"], TimeSpan.FromMinutes(2));

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        string[] rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("scenario,threads,contexts,handshakes per s,per thread per s,per CPU-s,CPU use", rows[0]);
        int cpus = Environment.ProcessorCount;
        Assert.Equal((2 * cpus) - 1, rows.Length - 1); // 1 thread with its own contexts; 2..N threads own and shared
        foreach (string row in rows[1..])
        {
            string[] cells = row.Split(',');
            Assert.Equal("resume-tls12-ticket", cells[0]);
            Assert.Contains(cells[2], (string[])["own", "shared"]);
            foreach (string figure in cells[3..])
            {
                Assert.True(double.TryParse(figure, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0, $"not a positive figure: '{figure}' in {row}");
            }
        }

        Assert.Contains(rows, row => row.StartsWith("resume-tls12-ticket,1,own,", StringComparison.Ordinal));
        if (cpus > 1)
        {
            Assert.Contains(rows, row => row.StartsWith($"resume-tls12-ticket,{cpus},shared,", StringComparison.Ordinal));
        }
    }

    [SkippableFact]
    public void The_cpu_mode_prints_CPU_and_wall_time_per_operation()
    {
        (int exit, string output, string errors) = ProcessRunner.Run(Host, [Program(), "--cpu", "OpenSslTls", "resume-tls12-ticket", "5", "20"], TimeSpan.FromMinutes(1));

        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        string[] cells = output.Trim().Split(',');
        Assert.Equal(["resume-tls12-ticket", "OpenSslTls"], cells[..2]);
        Assert.StartsWith("cpu_us=", cells[2], StringComparison.Ordinal);
        Assert.StartsWith("wall_us=", cells[3], StringComparison.Ordinal);
        Assert.True(double.Parse(cells[3]["wall_us=".Length..], CultureInfo.InvariantCulture) > 0, output);
    }

    [SkippableFact]
    public void An_unknown_scenario_is_refused_with_the_known_ids()
    {
        (int exit, string output, string errors) = ProcessRunner.Run(Host, [Program(), "--scaling", "handshake-tls14", "1"], TimeSpan.FromMinutes(1));

        Assert.Equal(2, exit);
        Assert.Contains("unknown scenario 'handshake-tls14'; known: handshake-tls13-p256,", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output);
    }

    [SkippableFact]
    public void A_C_harness_without_the_memory_BIO_program_beside_it_is_refused_in_one_line()
    {
        string lonely = Directory.CreateTempSubdirectory("openssltls-harness-").FullName;
        try
        {
            string harness = Path.Combine(lonely, "tlsbench");
            File.WriteAllText(harness, "#!/bin/sh\nexit 0\n");
            (int exit, string output, string errors) = ProcessRunner.Run(Host, [Program(), "--quick", "--c-harness", harness, "--only", "resume-tls12-ticket"], TimeSpan.FromMinutes(1));

            Assert.Equal(2, exit);
            Assert.Contains($"the memory-BIO C program {Path.Combine(lonely, "membio")} is not beside the C harness", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(lonely, recursive: true);
        }
    }

    private static string Host => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";

    private static string Program()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the CPU clock is Linux-only");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available (the benchmark PKI is made with it)");
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string program = Path.Combine(RepositoryPaths.Root, "bench", "OpenSslTls.Benchmarks", "bin", configuration, "net10.0", "OpenSslTls.Benchmarks.dll");
        Skip.IfNot(File.Exists(program), $"{program} not built (build OpenSslTls.sln)");
        return program;
    }
}
