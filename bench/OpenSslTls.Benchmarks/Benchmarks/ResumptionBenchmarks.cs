using BenchmarkDotNet.Attributes;

namespace OpenSslTls.Benchmarks.Benchmarks;

/// <summary>Resumed handshakes (server session cache on; the client offers the session of a first full handshake).</summary>
public class ResumptionBenchmarks : ComparisonBenchmark
{
    [Params(ResumptionMode.Tls13Ticket, ResumptionMode.Tls12SessionId, ResumptionMode.Tls12Ticket)]
    public ResumptionMode Mode { get; set; }

    public override Scenario CreateScenario() => Scenario.Resume(Mode);
}
