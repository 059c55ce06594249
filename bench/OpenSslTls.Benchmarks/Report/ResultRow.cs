namespace OpenSslTls.Benchmarks.Report;

/// <summary>
/// One line of the comparison table. For rates, <see cref="SslStreamManaged"/>/<see cref="OursManaged"/> are managed
/// bytes allocated per operation; for idle memory, the live managed bytes per connection (part of the figure).
/// <see cref="OursToC"/>/<see cref="OursToSslStream"/>, when set, are the ratios to print instead of Ours / C and
/// Ours / SslStream (the quick suite's medians of round-by-round ratios). <see cref="CMemBio"/> is the second C
/// reference, the plain program over OpenSSL's memory BIO (native/bench/membio.c), with <see cref="OursToCMemBio"/>
/// likewise; null where it does not run (idle rows).
/// </summary>
internal sealed record ResultRow(
    string Title,
    string Unit,
    bool HigherIsBetter,
    double? C,
    double? SslStream,
    double? Ours,
    double? SslStreamManaged,
    double? OursManaged,
    double? OursToC = null,
    double? OursToSslStream = null,
    double? CMemBio = null,
    double? OursToCMemBio = null)
{
    /// <summary>When set, the machine changed speed during the row's measurements: every ratio cell (ours/C, ours/C mem-BIO, ours/SslStream) prints this instead of a ratio.</summary>
    public string? Unstable { get; init; }
}
