using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>--profile IMPL SCENARIO SECONDS</c>: runs one implementation's operation alone for a while, for an external
/// profiler (e.g. <c>DOTNET_PerfMapEnabled=1 perf record -e cpu-clock -g</c>); the C side is
/// <c>tlsbench --sample-ms</c> under the same profiler.
/// </summary>
internal static class ProfileMode
{
    public static int Run(Implementation implementation, Scenario scenario, int seconds)
    {
        using BenchPki pki = BenchPki.Create();
        using IBenchOperation operation = Operations.Create(implementation, scenario, pki);
        Console.Error.WriteLine($"# {scenario.Id} {implementation}: {operation.Description}");
        RateResult result = StopwatchMeasurer.Measure(operation, scenario, new SampleSettings(1000, seconds * 1000, 1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scenario.Id},{result.Value:F2},{scenario.Unit},{result.AllocatedBytesPerOperation:F1},B allocated/op"));
        return 0;
    }
}
