namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>
/// Whether a ratio against the C harness may be printed. <see cref="Drift"/> is the largest disagreement found (0.07 =
/// 7 %); when not <see cref="Stable"/>, <see cref="Marker"/> is what the table prints instead of the ratio and
/// <see cref="Reason"/> says which measurements disagreed, with their figures.
/// </summary>
internal sealed record RatioVerdict(bool Stable, double Drift, string Marker, string Reason);
