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

    /// <summary>Warm-up then samples, all of one implementation (the profile mode).</summary>
    public static RateResult Measure(IBenchOperation operation, Scenario scenario, SampleSettings settings)
    {
        var sampler = new Sampler(operation, scenario);
        sampler.Warm(settings.WarmupMilliseconds);
        for (int i = 0; i < settings.Samples; i++)
        {
            sampler.Sample(settings.SampleMilliseconds);
        }

        return sampler.Result();
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

    /// <summary>Collects one implementation's samples, possibly interleaved with other implementations' samples.</summary>
    public sealed class Sampler(IBenchOperation operation, Scenario scenario)
    {
        private readonly List<double> _samples = [];
        private readonly List<double> _wallSamples = [];
        private readonly int _batch = BatchFor(scenario);
        private long _operations;
        private long _allocated;

        public void Warm(int milliseconds) => RunFor(operation, milliseconds, _batch, out _, out _);

        public void Sample(int milliseconds)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            _samples.Add(RunFor(operation, milliseconds, _batch, out long count, out double wall));
            _allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
            _wallSamples.Add(wall);
            _operations += count;
        }

        public RateResult Result()
        {
            double scale = scenario.Kind == ScenarioKind.Record ? scenario.Size / 1e6 : 1;
            return new RateResult(Median(_samples) * scale, (double)_allocated / _operations, [.. _samples.Select(s => s * scale)], [.. _wallSamples.Select(s => s * scale)]);
        }
    }
}
