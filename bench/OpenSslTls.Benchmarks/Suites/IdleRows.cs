using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Memory;
using OpenSslTls.Benchmarks.Report;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>The idle-memory part of both suites: the C harness and one child process per managed measurement.</summary>
internal static class IdleRows
{
    public static IEnumerable<ResultRow> Measure(CHarness harness, BenchPki pki, SuiteOptions options)
    {
        if (!Scenario.IdleScenarios.Any(options.Includes))
        {
            yield break;
        }

        Console.Error.WriteLine($"# idle memory over {options.Connections} connections");
        Dictionary<string, double> c = harness.Run(SampleSettings.Quick, options.Connections, [.. Scenario.IdleScenarios.Select(s => s.Id)]);
        IdleResult sslStream = IdleMemoryRunner.Measure(IdleImplementation.SslStream, Scenario.Idle(1), pki.Directory, options.Connections);
        Console.Error.WriteLine($"# SslStream idle: {IdleMemoryProbe.Format(sslStream)} (RSS, native heap, managed per connection)");
        var ours = new Dictionary<int, IdleResult>();
        foreach (Scenario scenario in Scenario.IdleScenarios)
        {
            ours[scenario.ReleaseBuffers] = IdleMemoryRunner.Measure(IdleImplementation.OpenSslTls, scenario, pki.Directory, options.Connections);
            Console.Error.WriteLine($"# OpenSslTls {scenario.Id}: {IdleMemoryProbe.Format(ours[scenario.ReleaseBuffers])} (RSS, native heap, managed per connection)");
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
