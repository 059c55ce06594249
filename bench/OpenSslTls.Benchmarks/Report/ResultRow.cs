namespace OpenSslTls.Benchmarks.Report;

/// <summary>
/// One line of the comparison table. For rates, <see cref="SslStreamManaged"/>/<see cref="OursManaged"/> are managed
/// bytes allocated per operation; for idle memory, the live managed bytes per connection (part of the figure).
/// </summary>
internal sealed record ResultRow(
    string Title,
    string Unit,
    bool HigherIsBetter,
    double? C,
    double? SslStream,
    double? Ours,
    double? SslStreamManaged,
    double? OursManaged);
