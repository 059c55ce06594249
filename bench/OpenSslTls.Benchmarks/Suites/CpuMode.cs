using System.Diagnostics;
using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>--cpu IMPL SCENARIO WARMUP COUNT</c>: the process's CPU time (all threads, user and system) and the wall time
/// per operation over <c>COUNT</c> operations after <c>WARMUP</c> untimed ones. For A/B runs of two checkouts on a
/// shared machine, where preemption inflates wall time but not CPU time: one process per checkout per round, taken
/// in turns.
/// </summary>
internal static class CpuMode
{
    public static int Run(Implementation implementation, Scenario scenario, int warmup, int count)
    {
        if (warmup < 0 || count < 1)
        {
            Console.Error.WriteLine("--cpu: WARMUP not negative and COUNT at least 1");
            return 2;
        }

        using BenchPki pki = BenchPki.Create();
        using IBenchOperation operation = Operations.Create(implementation, scenario, pki);
        for (int i = 0; i < warmup; i++)
        {
            operation.Run();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        long wallBefore = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            operation.Run();
        }

        TimeSpan wall = Stopwatch.GetElapsedTime(wallBefore);
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;
        operation.Verify();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scenario.Id},{implementation},cpu_us={cpu.TotalMicroseconds / count:F2},wall_us={wall.TotalMicroseconds / count:F2}"));
        return 0;
    }
}
