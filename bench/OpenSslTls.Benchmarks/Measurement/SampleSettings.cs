namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>How long the Stopwatch loops (and the C harness) warm up and sample; the reported rate is the median sample.</summary>
internal sealed record SampleSettings(int WarmupMilliseconds, int SampleMilliseconds, int Samples)
{
    public static SampleSettings Quick { get; } = new(300, 300, 5);

    public static SampleSettings Full { get; } = new(1000, 1000, 10);
}
