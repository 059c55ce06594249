using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Report;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>./build.sh bench --quick</c>: Stopwatch loops with warm-up instead of BenchmarkDotNet, to fit in minutes. Each
/// scenario runs C, SslStream and OpenSslTls back to back (interleaved, so a slow phase of the machine hits all three),
/// then the idle-memory probes run; one table goes to stdout, the details to stderr.
/// </summary>
internal static class QuickSuite
{
    public static int Run(SuiteOptions options)
    {
        SampleSettings settings = SampleSettings.Quick;
        using BenchPki pki = BenchPki.Create();
        var harness = new CHarness(CHarness.Locate(options.CHarnessPath), pki.Directory);
        var rows = new List<ResultRow>();
        foreach (Scenario scenario in Scenario.Rates.Where(options.Includes))
        {
            double c = harness.Run(settings, options.Connections, scenario.Id)[scenario.Id];
            RateResult sslStream = Measure(Implementation.SslStream, scenario, pki, settings);
            RateResult ours = Measure(Implementation.OpenSslTls, scenario, pki, settings);
            rows.Add(new ResultRow(scenario.Title, scenario.Unit, true, c, sslStream.Value, ours.Value, sslStream.AllocatedBytesPerOperation, ours.AllocatedBytesPerOperation));
        }

        rows.AddRange(IdleRows.Measure(harness, pki, options));
        Console.WriteLine(ResultTable.Format(rows, $"Quick run ({settings.Samples} x {settings.SampleMilliseconds} ms samples after {settings.WarmupMilliseconds} ms warm-up; idle: {options.Connections} connections)"));
        return 0;
    }

    private static RateResult Measure(Implementation implementation, Scenario scenario, BenchPki pki, SampleSettings settings)
    {
        using IBenchOperation operation = Operations.Create(implementation, scenario, pki);
        Console.Error.WriteLine($"# {scenario.Id} {implementation}: {operation.Description}");
        RateResult result = StopwatchMeasurer.Measure(operation, scenario, settings);
        operation.Verify();
        Console.Error.WriteLine($"# {scenario.Id} {implementation}: {result.Value:F1} {scenario.Unit} per CPU second (samples {Join(result.Samples)}; per wall second {Join(result.WallSamples)}), {result.AllocatedBytesPerOperation:F1} B allocated/op");
        return result;
    }

    private static string Join(IEnumerable<double> values) => string.Join(' ', values.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)));
}
