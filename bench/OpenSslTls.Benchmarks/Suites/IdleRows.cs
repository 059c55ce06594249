using OpenSslTls.Benchmarks.Charts;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Memory;
using OpenSslTls.Benchmarks.Report;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>The idle-memory part of both suites: the C harness and one child process per managed measurement.</summary>
internal static class IdleRows
{
    /// <summary>The progress steps <see cref="Measure"/> announces: C, SslStream, then one per OpenSslTls scenario (none when no idle scenario is selected).</summary>
    public static int Steps(SuiteOptions options) => Scenario.IdleScenarios.Any(options.Includes) ? 2 + Scenario.IdleScenarios.Count : 0;

    public static IEnumerable<ResultRow> Measure(CHarness harness, BenchPki pki, SuiteOptions options, List<BenchFigure> figures, BenchProgress progress)
    {
        if (!Scenario.IdleScenarios.Any(options.Includes))
        {
            yield break;
        }

        Console.Error.WriteLine($"# idle memory over {options.Connections} connections");
        Dictionary<string, double> c = harness.Run(SampleSettings.Quick, options.Connections, [.. Scenario.IdleScenarios.Select(s => s.Id)]);
        progress.Step($"idle memory, C: {options.Connections} connections");
        IdleResult sslStream = IdleMemoryRunner.Measure(IdleImplementation.SslStream, Scenario.Idle(1), pki.Directory, options.Connections);
        Console.Error.WriteLine($"# SslStream idle: {IdleMemoryProbe.Format(sslStream)} (RSS, native heap, managed per connection)");
        progress.Step($"idle memory, SslStream: {options.Connections} connections");
        var ours = new Dictionary<int, IdleResult>();
        foreach (Scenario scenario in Scenario.IdleScenarios)
        {
            ours[scenario.ReleaseBuffers] = IdleMemoryRunner.Measure(IdleImplementation.OpenSslTls, scenario, pki.Directory, options.Connections);
            Console.Error.WriteLine($"# OpenSslTls {scenario.Id}: {IdleMemoryProbe.Format(ours[scenario.ReleaseBuffers])} (RSS, native heap, managed per connection)");
            progress.Step($"idle memory, OpenSslTls {scenario.Id}: {options.Connections} connections");
        }

        foreach (Scenario scenario in Scenario.IdleScenarios)
        {
            IdleResult mine = ours[scenario.ReleaseBuffers];
            figures.Add(new BenchFigure(scenario.Title, "C", ChartCatalog.IdleResident, c[scenario.Id], scenario.Unit));
            figures.Add(new BenchFigure(scenario.Title, "SslStream", ChartCatalog.IdleResident, sslStream.ResidentPerConnection, scenario.Unit));
            figures.Add(new BenchFigure(scenario.Title, "OpenSslTls", ChartCatalog.IdleResident, mine.ResidentPerConnection, scenario.Unit));
            figures.Add(new BenchFigure(scenario.Title, "C", ChartCatalog.IdleHeap, c[scenario.Id + "-heap"], scenario.Unit));
            figures.Add(new BenchFigure(scenario.Title, "SslStream", ChartCatalog.IdleHeap, sslStream.HeapPerConnection, scenario.Unit));
            figures.Add(new BenchFigure(scenario.Title, "OpenSslTls", ChartCatalog.IdleHeap, mine.HeapPerConnection, scenario.Unit));
            figures.Add(new BenchFigure(scenario.Title, "SslStream", "idle-managed", sslStream.ManagedPerConnection, scenario.Unit));
            figures.Add(new BenchFigure(scenario.Title, "OpenSslTls", "idle-managed", mine.ManagedPerConnection, scenario.Unit));
        }

        foreach (Scenario scenario in Scenario.IdleScenarios)
        {
            IdleResult mine = ours[scenario.ReleaseBuffers];
            yield return new ResultRow($"{scenario.Title}, RSS", scenario.Unit, false, c[scenario.Id], sslStream.ResidentPerConnection, mine.ResidentPerConnection, sslStream.ManagedPerConnection, mine.ManagedPerConnection);
        }

        foreach (Scenario scenario in Scenario.IdleScenarios)
        {
            IdleResult mine = ours[scenario.ReleaseBuffers];
            yield return new ResultRow($"{scenario.Title}, heap (malloc + managed)", scenario.Unit, false, c[scenario.Id + "-heap"], sslStream.HeapPerConnection, mine.HeapPerConnection, sslStream.ManagedPerConnection, mine.ManagedPerConnection);
        }
    }
}
