using BenchmarkDotNet.Attributes;

namespace OpenSslTls.Benchmarks.Benchmarks;

/// <summary>Full handshakes: one operation = a client and a server connection created, handshaken, disposed.</summary>
public class HandshakeBenchmarks : ComparisonBenchmark
{
    [Params(TlsVersion.Tls13, TlsVersion.Tls12)]
    public TlsVersion Version { get; set; }

    [Params(ServerKey.P256, ServerKey.Rsa2048)]
    public ServerKey Key { get; set; }

    public override Scenario CreateScenario() => Scenario.Handshake(Version, Key);
}
