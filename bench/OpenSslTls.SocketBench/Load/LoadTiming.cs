namespace OpenSslTls.SocketBench.Load;

/// <summary>How long each server is loaded unmeasured first, how long it is measured in all, and the length of one measured slice.</summary>
internal sealed record LoadTiming(TimeSpan Warmup, TimeSpan Measured, TimeSpan Slice)
{
    /// <summary>Slices per server: the measured time cut into slices, rounded up.</summary>
    public int SlicesPerServer => Math.Max(1, (int)Math.Ceiling(Measured / Slice));
}
