using BenchmarkDotNet.Attributes;

namespace OpenSslTls.Benchmarks.Benchmarks;

/// <summary>Record path: one message encrypted by the client and decrypted by the server (TLS 1.3, suite pinned on both sides).</summary>
public class RecordBenchmarks : ComparisonBenchmark
{
    [Params(RecordCipher.Aes128Gcm, RecordCipher.ChaCha20Poly1305)]
    public RecordCipher Cipher { get; set; }

    [Params(512, 1400, 16384)]
    public int Size { get; set; }

    public override Scenario CreateScenario() => Scenario.Record(Cipher, Size);
}
