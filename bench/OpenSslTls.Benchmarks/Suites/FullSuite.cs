using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using OpenSslTls.Benchmarks.Benchmarks;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Report;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>./build.sh bench</c>: BenchmarkDotNet (MemoryDiagnoser on) for the managed side, the two C references (tlsbench
/// and the memory-BIO program) with long samples, and the idle-memory probes; BenchmarkDotNet's own summaries print first, then the one comparison table.
/// </summary>
internal static class FullSuite
{
    public static int Run(SuiteOptions options)
    {
        using BenchPki pki = BenchPki.Create();
        Environment.SetEnvironmentVariable(SharedPki.Variable, pki.Directory);
        var harness = new CHarness(CHarness.Locate(options.CHarnessPath), pki.Directory);
        List<Scenario> rates = [.. Scenario.Rates.Where(options.Includes)];
        Dictionary<string, double> c = rates.Count == 0 ? [] : harness.Run(SampleSettings.Full, options.Connections, [.. rates.Select(s => s.Id)]);
        var memBioProgram = new CHarness(CHarness.LocateMemBio(harness.Path), pki.Directory);
        Dictionary<string, double> memBio = rates.Count == 0 ? [] : memBioProgram.Run(SampleSettings.Full, options.Connections, [.. rates.Select(s => s.Id)]);

        IConfig config = DefaultConfig.Instance
            
            // In process: a custom clock object cannot cross into the separate benchmark processes BenchmarkDotNet would start.
            .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithClock(ProcessCpuClock.Instance).WithToolchain(InProcessEmitToolchain.Instance))
            .WithArtifactsPath(Path.Combine("artifacts", "bench", "BenchmarkDotNet.Artifacts"))
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
        var managed = new Dictionary<(string Id, Implementation Implementation), (double Value, double? Allocated)>();
        if (rates.Count > 0)
        {
            Type[] types = [.. BenchmarkTypes.Where(pair => rates.Any(s => s.Kind == pair.Kind)).Select(pair => pair.Type)];
            IEnumerable<Summary> summaries = BenchmarkSwitcher.FromTypes(types).Run(["--filter", "*"], config);
            foreach (BenchmarkReport report in summaries.SelectMany(s => s.Reports))
            {
                var instance = (ComparisonBenchmark)Activator.CreateInstance(report.BenchmarkCase.Descriptor.Type)!;
                foreach (var parameter in report.BenchmarkCase.Parameters.Items)
                {
                    report.BenchmarkCase.Descriptor.Type.GetProperty(parameter.Name)!.SetValue(instance, parameter.Value);
                }

                Scenario scenario = instance.CreateScenario();
                if (report.ResultStatistics is not { } statistics || !rates.Contains(scenario))
                {
                    continue;
                }

                double perSecond = 1e9 / statistics.Mean;
                double value = scenario.Kind == ScenarioKind.Record ? perSecond * scenario.Size / 1e6 : perSecond;
                Implementation implementation = Enum.Parse<Implementation>(report.BenchmarkCase.Descriptor.WorkloadMethod.Name);
                managed[(scenario.Id, implementation)] = (value, report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase));
            }
        }

        var rows = new List<ResultRow>();
        foreach (Scenario scenario in rates)
        {
            managed.TryGetValue((scenario.Id, Implementation.SslStream), out var sslStream);
            managed.TryGetValue((scenario.Id, Implementation.OpenSslTls), out var ours);
            rows.Add(new ResultRow(scenario.Title, scenario.Unit, true, c.GetValueOrDefault(scenario.Id), sslStream.Value, ours.Value, sslStream.Allocated, ours.Allocated,
                CMemBio: memBio.GetValueOrDefault(scenario.Id)));
        }

        rows.AddRange(IdleRows.Measure(harness, pki, options));
        Console.WriteLine(ResultTable.Format(rows, $"Full run (BenchmarkDotNet means, process CPU clock; C: median of {SampleSettings.Full.Samples} x {SampleSettings.Full.SampleMilliseconds} ms; idle: {options.Connections} connections)", "C and C mem-BIO: median sample; SslStream and OpenSslTls: BenchmarkDotNet mean"));
        return 0;
    }

    private static readonly (Type Type, ScenarioKind Kind)[] BenchmarkTypes =
    [
        (typeof(HandshakeBenchmarks), ScenarioKind.Handshake),
        (typeof(ResumptionBenchmarks), ScenarioKind.Resume),
        (typeof(RecordBenchmarks), ScenarioKind.Record),
    ];
}
