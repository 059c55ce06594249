using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Report;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>./build.sh bench --quick</c>: Stopwatch-style loops on the process CPU clock instead of BenchmarkDotNet, to fit
/// in minutes. Each implementation runs in a process of its own (the C harness in <c>--serve</c> mode, SslStream and
/// OpenSslTls as this program's <c>--serve</c> children); for each scenario their samples are taken in turns, rotating
/// who goes first, so all three see the same moments of a shared machine; then the idle-memory probes run. One table
/// goes to stdout, the details to stderr.
/// </summary>
internal static class QuickSuite
{
    public static int Run(SuiteOptions options)
    {
        SampleSettings settings = options.QuickSettings;
        using BenchPki pki = BenchPki.Create();
        var harness = new CHarness(CHarness.Locate(options.CHarnessPath), pki.Directory);
        var rows = new List<ResultRow>();
        using (SampleSession c = SampleSession.ForCHarness(harness.Path, pki.Directory))
        using (SampleSession sslStream = SampleSession.ForManaged(Implementation.SslStream, pki.Directory, options.ProcessWarmUpMilliseconds))
        using (SampleSession ours = SampleSession.ForManaged(Implementation.OpenSslTls, pki.Directory, options.ProcessWarmUpMilliseconds))
        {
            foreach (Scenario scenario in Scenario.Rates.Where(options.Includes))
            {
                rows.Add(Measure(scenario, [c, sslStream, ours], settings));
            }
        }

        rows.AddRange(IdleRows.Measure(harness, pki, options));
        Console.WriteLine(ResultTable.Format(rows, $"Quick run ({settings.Samples} interleaved samples of {settings.SampleMilliseconds} ms CPU each after {settings.WarmupMilliseconds} ms warm-up, each implementation in its own process; idle: {options.Connections} connections)", "C, SslStream, OpenSslTls: median of the interleaved samples; ours/C, ours/SslStream: median of the round-by-round ratios"));
        return 0;
    }

    /// <summary>Samples C, SslStream and OpenSslTls (in this order in <paramref name="sessions"/>) in turns.</summary>
    private static ResultRow Measure(Scenario scenario, SampleSession[] sessions, SampleSettings settings)
    {
        var samples = sessions.Select(_ => new List<SampleSession.Sample>()).ToArray();
        foreach (SampleSession session in sessions)
        {
            session.Setup(scenario);
        }

        foreach (SampleSession session in sessions)
        {
            session.Run(settings.WarmupMilliseconds);
        }

        for (int round = 0; round < settings.Samples; round++)
        {
            for (int turn = 0; turn < sessions.Length; turn++)
            {
                int who = (round + turn) % sessions.Length;
                samples[who].Add(sessions[who].Run(settings.SampleMilliseconds));
            }
        }

        foreach (SampleSession session in sessions)
        {
            session.Teardown();
        }

        RateResult[] results = [.. samples.Select(s => Result(scenario, s))];
        for (int i = 0; i < sessions.Length; i++)
        {
            Log(scenario, sessions[i].Name, results[i]);
        }

        // The ratios are medians of round-by-round ratios: a round's samples are taken one after the other, so a phase
        // change of the host (this VM's vCPUs speed up or slow down by up to ~40 % for seconds at a time) hits both,
        // while the ratio of two medians breaks when the change falls in the middle of a scenario.
        double[] toC = [.. samples[2].Zip(samples[0], (o, c) => o.PerCpuSecond / c.PerCpuSecond)];
        double[] toSslStream = [.. samples[2].Zip(samples[1], (o, s) => o.PerCpuSecond / s.PerCpuSecond)];
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {scenario.Id} OpenSslTls/C round by round: {string.Join(' ', toC.Select(r => r.ToString("F3", CultureInfo.InvariantCulture)))}; median {StopwatchMeasurer.Median(toC):F3}; ratio of the medians {results[2].Value / results[0].Value:F3}"));
        return new ResultRow(scenario.Title, scenario.Unit, true, results[0].Value, results[1].Value, results[2].Value, results[1].AllocatedBytesPerOperation, results[2].AllocatedBytesPerOperation,
            StopwatchMeasurer.Median(toC), StopwatchMeasurer.Median(toSslStream));
    }

    private static RateResult Result(Scenario scenario, List<SampleSession.Sample> samples)
    {
        double scale = scenario.Kind == ScenarioKind.Record ? scenario.Size / 1e6 : 1;
        long operations = samples.Sum(s => s.Operations ?? 0);
        double? allocated = samples.All(s => s.AllocatedBytes is not null) && operations > 0
            ? (double)samples.Sum(s => s.AllocatedBytes!.Value) / operations
            : null;
        return new RateResult(
            StopwatchMeasurer.Median(samples.Select(s => s.PerCpuSecond)) * scale,
            allocated,
            [.. samples.Select(s => s.PerCpuSecond * scale)],
            [.. samples.Select(s => s.PerWallSecond * scale)]);
    }

    private static void Log(Scenario scenario, string implementation, RateResult result) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {scenario.Id} {implementation}: {result.Value:F1} {scenario.Unit} per CPU second (samples {Join(result.Samples)}; per wall second {Join(result.WallSamples)}){(result.AllocatedBytesPerOperation is { } a ? $", {a:F1} B allocated/op" : string.Empty)}"));

    private static string Join(IEnumerable<double> values) => string.Join(' ', values.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)));
}
