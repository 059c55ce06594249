using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using OpenSslTls.Benchmarks.Benchmarks;
using OpenSslTls.Benchmarks.Charts;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Report;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>./build.sh bench</c>: BenchmarkDotNet (MemoryDiagnoser on) for the managed side, the two C references (tlsbench
/// and the memory-BIO program membio) as probes around it, and the idle-memory probes; BenchmarkDotNet's own summaries
/// print first, then the one comparison table.
/// Scenario by scenario, BenchmarkDotNet runs one implementation at a time, and the C references (their <c>--serve</c>
/// children) take a probe before, between and after them: the ratios are printed only when <see cref="ReferenceDrift"/>
/// finds the machine kept its speed over that stretch (judged on tlsbench's probes), else the table says "unstable".
/// </summary>
internal static class FullSuite
{
    /// <summary>C samples per probe (of <see cref="SampleSettings.Full"/>'s sample length; the probe's rate is their median).</summary>
    private const int ProbeSamples = 3;

    public static int Run(SuiteOptions options)
    {
        using BenchPki pki = BenchPki.Create();
        Environment.SetEnvironmentVariable(SharedPki.Variable, pki.Directory);
        var harness = new CHarness(CHarness.Locate(options.CHarnessPath), pki.Directory);
        List<Scenario> rates = [.. Scenario.Rates.Where(options.Includes)];
        var figures = new List<BenchFigure>(ChartSet.RunStart());

        IConfig config = DefaultConfig.Instance

            // In process: a custom clock object cannot cross into the separate benchmark processes BenchmarkDotNet would start.
            .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithClock(ProcessCpuClock.Instance).WithToolchain(InProcessEmitToolchain.Instance))
            .WithArtifactsPath(Path.Combine("artifacts", "bench", "BenchmarkDotNet.Artifacts"))
            .WithOptions(ConfigOptions.DisableLogFile)

            // Each summary holds one case, so its Ratio columns would only compare the baseline with itself.
            .HideColumns(Column.Ratio, Column.RatioSD, Column.AllocRatio);

        // Every benchmark case, grouped by the scenario it measures, in table order.
        var groups = new List<(Scenario Scenario, Type Type, ImmutableConfig Config, BenchmarkCase[] Cases)>();
        foreach ((Type type, ScenarioKind kind) in BenchmarkTypes.Where(pair => rates.Any(s => s.Kind == pair.Kind)))
        {
            BenchmarkRunInfo info = BenchmarkConverter.TypeToBenchmarks(type, config);
            foreach (IGrouping<Scenario, BenchmarkCase> group in info.BenchmarksCases.GroupBy(ScenarioOf))
            {
                if (rates.Contains(group.Key))
                {
                    groups.Add((group.Key, type, info.Config, [.. group.OrderBy(c => c.Descriptor.WorkloadMethod.Name == nameof(Implementation.SslStream) ? 0 : 1)]));
                }
            }
        }

        groups.Sort((a, b) => rates.IndexOf(a.Scenario).CompareTo(rates.IndexOf(b.Scenario)));
        var progress = new BenchProgress("full", groups.Count + IdleRows.Steps(options), Console.Error);
        var rows = new List<ResultRow>();
        var unstable = new List<string>();
        if (groups.Count > 0)
        {
            using SampleSession c = SampleSession.ForCHarness(harness.Path, pki.Directory);
            using SampleSession memBio = SampleSession.ForCHarness(CHarness.LocateMemBio(harness.Path), pki.Directory, "C mem-BIO");
            foreach ((Scenario scenario, Type type, ImmutableConfig caseConfig, BenchmarkCase[] cases) in groups)
            {
                ResultRow row = Measure(scenario, type, caseConfig, cases, [c, memBio], options.CTolerance, figures, out RatioVerdict verdict);
                rows.Add(row);
                if (!verdict.Stable)
                {
                    unstable.Add($"{scenario.Title}: {verdict.Reason}");
                }

                progress.Step($"{scenario.Id}: {(verdict.Stable ? "ratios printed" : verdict.Marker)}");
            }
        }

        rows.AddRange(IdleRows.Measure(harness, pki, options, figures, progress));
        figures.Add(ChartSet.RunEnd());
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"Ratios: printed only when the C (tlsbench) probes before, between and after the two managed runs of the scenario, and the first and second half of each managed run's iterations, agree within {options.CTolerance * 100:F1} % (--c-tolerance); otherwise 'unstable' (the machine changed speed: the ratio would be the machine's, not the code's)."),
        };
        notes.AddRange(unstable.Select(u => "Unstable: " + u));
        Console.WriteLine(ResultTable.Format(
            rows,
            $"Full run (BenchmarkDotNet means, process CPU clock; C and C mem-BIO: median of {ProbeSamples} x {SampleSettings.Full.SampleMilliseconds} ms before, between and after the managed runs; idle: {options.Connections} connections)",
            "C and C mem-BIO: median of their probe samples; SslStream and OpenSslTls: BenchmarkDotNet mean",
            notes));
        ChartSet.Save(figures, options.CsvPath ?? Path.Combine("artifacts", "bench", "full.csv"), options.ChartDirectory, Console.Error);
        return 0;
    }

    /// <summary>
    /// One scenario: C probe, SslStream's BenchmarkDotNet run, C probe, OpenSslTls's, C probe; the row and its verdict.
    /// <paramref name="references"/> are the C programs probed at each point, one after the other; the first is the one
    /// the verdict and the C column use, every one gets its own rows in the CSV (by session name).
    /// </summary>
    private static ResultRow Measure(
        Scenario scenario,
        Type type,
        ImmutableConfig config,
        BenchmarkCase[] cases,
        IReadOnlyList<SampleSession> references,
        double tolerance,
        List<BenchFigure> figures,
        out RatioVerdict verdict)
    {
        double scale = scenario.Kind == ScenarioKind.Record ? scenario.Size / 1e6 : 1;
        var referenceSamples = references.Select(_ => new List<double>()).ToArray();
        var referenceProbes = references.Select(_ => new List<double>()).ToArray();
        void ProbeAll()
        {
            for (int r = 0; r < references.Count; r++)
            {
                referenceProbes[r].Add(Probe(references[r], scale, referenceSamples[r]));
            }
        }

        foreach (SampleSession reference in references)
        {
            reference.Setup(scenario);
            reference.Run(SampleSettings.Full.WarmupMilliseconds);
        }

        ProbeAll();
        var managed = new Dictionary<Implementation, (double Value, double? Allocated, double[] Iterations)>();
        foreach (BenchmarkCase benchmark in cases)
        {
            Summary summary = BenchmarkRunner.Run(new BenchmarkRunInfo([benchmark], type, config));
            ProbeAll();
            if (summary.Reports.FirstOrDefault() is not { ResultStatistics: { } statistics } report)
            {
                continue;
            }

            Implementation implementation = Enum.Parse<Implementation>(benchmark.Descriptor.WorkloadMethod.Name);
            double[] iterations = [.. report.GetResultRuns().Select(m => 1e9 / m.GetAverageTime().Nanoseconds * scale)];
            managed[implementation] = (1e9 / statistics.Mean * scale, report.GcStats.GetBytesAllocatedPerOperation(benchmark), iterations);
        }

        foreach (SampleSession reference in references)
        {
            reference.Teardown();
        }

        List<double> probes = referenceProbes[0];
        double cValue = StopwatchMeasurer.Median(referenceSamples[0]);
        double? memBioValue = references.Count > 1 ? StopwatchMeasurer.Median(referenceSamples[1]) : null;
        verdict = ReferenceDrift.Judge(probes, [.. managed.Select(pair => (pair.Key.ToString(), (IReadOnlyList<double>)pair.Value.Iterations))], tolerance);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {scenario.Id} C probes {string.Join(' ', probes.Select(p => p.ToString("F1", CultureInfo.InvariantCulture)))} {scenario.Unit}; {(verdict.Stable ? "stable" : "UNSTABLE")}: {verdict.Reason}"));

        string metric = scenario.Kind == ScenarioKind.Record ? ChartCatalog.RecordRate : ChartCatalog.HandshakeRate;
        for (int r = 0; r < references.Count; r++)
        {
            figures.Add(new BenchFigure(scenario.Title, references[r].Name, metric, StopwatchMeasurer.Median(referenceSamples[r]), scenario.Unit));
        }

        figures.Add(new BenchFigure(scenario.Title, references[0].Name, "speed-drift", verdict.Drift * 100, "% (largest disagreement of C probes and managed halves)"));
        if (!verdict.Stable)
        {
            figures.Add(new BenchFigure(scenario.Title, references[0].Name, BenchFigure.Unstable, verdict.Drift * 100, "%"));
        }

        foreach ((Implementation implementation, (double value, double? allocated, _)) in managed)
        {
            figures.Add(new BenchFigure(scenario.Title, implementation.ToString(), metric, value, scenario.Unit));
            if (allocated is { } bytes)
            {
                figures.Add(new BenchFigure(scenario.Title, implementation.ToString(), "allocated-per-operation", bytes, "B/op"));
            }

            if (verdict.Stable)
            {
                figures.Add(new BenchFigure(scenario.Title, implementation.ToString(), ChartCatalog.RatioToC, value / cValue, "x C"));
            }
        }

        managed.TryGetValue(Implementation.SslStream, out var sslStream);
        managed.TryGetValue(Implementation.OpenSslTls, out var ours);
        return new ResultRow(scenario.Title, scenario.Unit, true, cValue, sslStream.Value, ours.Value, sslStream.Allocated, ours.Allocated,
            CMemBio: memBioValue)
        {
            Unstable = verdict.Stable ? null : verdict.Marker,
        };
    }

    /// <summary>One C probe: <see cref="ProbeSamples"/> samples, their median in the scenario's unit; the samples also go to <paramref name="all"/>.</summary>
    private static double Probe(SampleSession c, double scale, List<double>? all = null)
    {
        double[] samples = [.. Enumerable.Range(0, ProbeSamples).Select(_ => c.Run(SampleSettings.Full.SampleMilliseconds).PerCpuSecond * scale)];
        all?.AddRange(samples);
        return StopwatchMeasurer.Median(samples);
    }

    /// <summary>The scenario a benchmark case measures (its class with the case's parameters set).</summary>
    private static Scenario ScenarioOf(BenchmarkCase benchmark)
    {
        var instance = (ComparisonBenchmark)Activator.CreateInstance(benchmark.Descriptor.Type)!;
        foreach (var parameter in benchmark.Parameters.Items)
        {
            benchmark.Descriptor.Type.GetProperty(parameter.Name)!.SetValue(instance, parameter.Value);
        }

        return instance.CreateScenario();
    }

    private static readonly (Type Type, ScenarioKind Kind)[] BenchmarkTypes =
    [
        (typeof(HandshakeBenchmarks), ScenarioKind.Handshake),
        (typeof(ResumptionBenchmarks), ScenarioKind.Resume),
        (typeof(RecordBenchmarks), ScenarioKind.Record),
    ];
}
