using System.Diagnostics;

namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>
/// The managed timing loop, the same as the C harness's (native/bench/tlsbench.c, run_for): operations in batches
/// (64 for record messages, so the clock is read rarely; 1 for handshakes) until the process has used the sample's
/// CPU time; rate = operations / CPU seconds. CPU time rather than wall time because the machine is shared: a
/// descheduled process is not charged for time it did not run.
/// </summary>
internal static class StopwatchMeasurer
{
    public static int BatchFor(Scenario scenario) => scenario.Kind == ScenarioKind.Record ? 64 : 1;

    /// <summary>Warm-up then samples, all of one implementation (the profile mode; the quick suite samples its children).</summary>
    public static RateResult Measure(IBenchOperation operation, Scenario scenario, SampleSettings settings)
    {
        int batch = BatchFor(scenario);
        RunFor(operation, settings.WarmupMilliseconds, batch, out _, out _);
        var samples = new List<double>();
        var wallSamples = new List<double>();
        long operations = 0;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < settings.Samples; i++)
        {
            samples.Add(RunFor(operation, settings.SampleMilliseconds, batch, out long count, out double wall));
            wallSamples.Add(wall);
            operations += count;
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        double scale = scenario.Kind == ScenarioKind.Record ? scenario.Size / 1e6 : 1;
        return new RateResult(Median(samples) * scale, (double)allocated / operations, [.. samples.Select(r => r * scale)], [.. wallSamples.Select(r => r * scale)]);
    }

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Runs the operation for <paramref name="milliseconds"/> of process CPU time; returns operations per CPU second.</summary>
    public static double RunFor(IBenchOperation operation, int milliseconds, int batch, out long operations, out double wallRate)
    {
        long wallStart = Stopwatch.GetTimestamp();
        double start = CpuClock.Seconds();
        double end = start + (milliseconds / 1000.0);
        double now;
        operations = 0;
        do
        {
            for (int i = 0; i < batch; i++)
            {
                operation.Run();
            }

            operations += batch;
            now = CpuClock.Seconds();
        }
        while (now < end);

        wallRate = operations / Stopwatch.GetElapsedTime(wallStart).TotalSeconds;
        return operations / (now - start);
    }
}
