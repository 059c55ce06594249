using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Report;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>./build.sh bench --quick</c>: Stopwatch-style loops on the process CPU clock instead of BenchmarkDotNet, to fit
/// in minutes. For each scenario the samples of C (the harness in <c>--serve</c> mode), SslStream and OpenSslTls are
/// taken in turns, rotating who goes first, so all three see the same moments of a shared machine; then the
/// idle-memory probes run. One table goes to stdout, the details to stderr.
/// </summary>
internal static class QuickSuite
{
    public static int Run(SuiteOptions options)
    {
        SampleSettings settings = SampleSettings.Quick;
        using BenchPki pki = BenchPki.Create();
        var harness = new CHarness(CHarness.Locate(options.CHarnessPath), pki.Directory);
        var rows = new List<ResultRow>();
        WarmUpProcess(pki);
        using (var session = new CHarnessSession(harness.Path, pki.Directory))
        {
            foreach (Scenario scenario in Scenario.Rates.Where(options.Includes))
            {
                rows.Add(Measure(scenario, pki, session, settings));
            }
        }

        rows.AddRange(IdleRows.Measure(harness, pki, options));
        Console.WriteLine(ResultTable.Format(rows, $"Quick run ({settings.Samples} interleaved samples of {settings.SampleMilliseconds} ms CPU each after {settings.WarmupMilliseconds} ms warm-up; idle: {options.Connections} connections)", "median of the interleaved samples"));
        return 0;
    }

    /// <summary>
    /// Tiered compilation promotes the hot paths in background threads, whose CPU time the process clock counts: run
    /// every managed code path once for a while first, so that cost does not land on whichever scenario comes first.
    /// </summary>
    private static void WarmUpProcess(BenchPki pki)
    {
        // 3 s each: with 1 s the first record scenario's samples of both managed implementations still jumped by ~10 %
        // after a few rounds (dynamic PGO's final tier arriving), which the C column never does.
        foreach (Scenario scenario in (Scenario[])[Scenario.Resume(ResumptionMode.Tls12Ticket), Scenario.Record(RecordCipher.Aes128Gcm, 512), Scenario.Record(RecordCipher.Aes128Gcm, 1400)])
        {
            foreach (Implementation implementation in Enum.GetValues<Implementation>())
            {
                using IBenchOperation operation = Operations.Create(implementation, scenario, pki);
                StopwatchMeasurer.RunFor(operation, 3000, StopwatchMeasurer.BatchFor(scenario), out _, out _);
            }
        }
    }

    private static ResultRow Measure(Scenario scenario, BenchPki pki, CHarnessSession c, SampleSettings settings)
    {
        c.Setup(scenario);
        using IBenchOperation sslStream = Operations.Create(Implementation.SslStream, scenario, pki);
        using IBenchOperation ours = Operations.Create(Implementation.OpenSslTls, scenario, pki);
        Console.Error.WriteLine($"# {scenario.Id} SslStream: {sslStream.Description}");
        Console.Error.WriteLine($"# {scenario.Id} OpenSslTls: {ours.Description}");

        var sslStreamSampler = new StopwatchMeasurer.Sampler(sslStream, scenario);
        var oursSampler = new StopwatchMeasurer.Sampler(ours, scenario);
        var cSamples = new List<double>();
        var cWallSamples = new List<double>();
        c.Run(settings.WarmupMilliseconds);
        sslStreamSampler.Warm(settings.WarmupMilliseconds);
        oursSampler.Warm(settings.WarmupMilliseconds);
        Action[] takers =
        [
            () =>
            {
                (double cpu, double wall) = c.Run(settings.SampleMilliseconds);
                cSamples.Add(cpu);
                cWallSamples.Add(wall);
            },
            () => sslStreamSampler.Sample(settings.SampleMilliseconds),
            () => oursSampler.Sample(settings.SampleMilliseconds),
        ];
        for (int round = 0; round < settings.Samples; round++)
        {
            for (int turn = 0; turn < takers.Length; turn++)
            {
                takers[(round + turn) % takers.Length]();
            }
        }

        c.Teardown();
        sslStream.Verify();
        ours.Verify();

        double scale = scenario.Kind == ScenarioKind.Record ? scenario.Size / 1e6 : 1;
        var cResult = new RateResult(StopwatchMeasurer.Median(cSamples) * scale, null, [.. cSamples.Select(s => s * scale)], [.. cWallSamples.Select(s => s * scale)]);
        RateResult sslStreamResult = sslStreamSampler.Result();
        RateResult oursResult = oursSampler.Result();
        Log(scenario, "C", cResult);
        Log(scenario, "SslStream", sslStreamResult);
        Log(scenario, "OpenSslTls", oursResult);
        return new ResultRow(scenario.Title, scenario.Unit, true, cResult.Value, sslStreamResult.Value, oursResult.Value, sslStreamResult.AllocatedBytesPerOperation, oursResult.AllocatedBytesPerOperation);
    }

    private static void Log(Scenario scenario, string implementation, RateResult result) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {scenario.Id} {implementation}: {result.Value:F1} {scenario.Unit} per CPU second (samples {Join(result.Samples)}; per wall second {Join(result.WallSamples)}){(result.AllocatedBytesPerOperation is { } a ? $", {a:F1} B allocated/op" : string.Empty)}"));

    private static string Join(IEnumerable<double> values) => string.Join(' ', values.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)));
}
