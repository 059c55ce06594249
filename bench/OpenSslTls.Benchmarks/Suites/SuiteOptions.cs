using OpenSslTls.Benchmarks.Measurement;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// Command-line options shared by the quick and the full suite; <paramref name="QuickSamples"/> and
/// <paramref name="QuickSampleMilliseconds"/> override the quick suite's 7 samples of 200 ms (for a longer, more
/// precise interleaved run); <paramref name="ProcessWarmUpMilliseconds"/> is the managed children's warm-up per kind of
/// operation (shorter only for smoke tests).
/// </summary>
internal sealed record SuiteOptions(string? CHarnessPath, int Connections, IReadOnlyList<string> ScenarioFilter, int? QuickSamples = null, int? QuickSampleMilliseconds = null, int ProcessWarmUpMilliseconds = ServeMode.DefaultWarmUpMilliseconds)
{
    /// <summary>The quick suite's sampling, with the overrides applied.</summary>
    public SampleSettings QuickSettings => SampleSettings.Quick with
    {
        Samples = QuickSamples ?? SampleSettings.Quick.Samples,
        SampleMilliseconds = QuickSampleMilliseconds ?? SampleSettings.Quick.SampleMilliseconds,
    };

    /// <summary>Where the figures go as CSV (<c>--csv</c>); null: artifacts/bench/SUITE.csv.</summary>
    public string? CsvPath { get; init; }

    /// <summary>Where the charts are drawn from them (<c>--charts</c>); null: no charts.</summary>
    public string? ChartDirectory { get; init; }

    /// <summary>The full suite's tolerance for C probes and managed halves that disagree (<c>--c-tolerance PCT</c>; 0.05 = 5 %).</summary>
    public double CTolerance { get; init; } = ReferenceDrift.DefaultTolerance;

    public bool Includes(Scenario scenario) => ScenarioFilter.Count == 0 || ScenarioFilter.Any(f => scenario.Id.Contains(f, StringComparison.Ordinal));
}
