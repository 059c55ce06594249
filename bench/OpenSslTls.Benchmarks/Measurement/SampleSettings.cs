namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>How long each implementation warms up and samples (CPU time); the reported rate is the median sample.</summary>
internal sealed record SampleSettings(int WarmupMilliseconds, int SampleMilliseconds, int Samples)
{
    public static SampleSettings Quick { get; } = new(600, 200, 7);

    public static SampleSettings Full { get; } = new(1000, 1000, 10);
}
