namespace OpenSslTls.Benchmarks.Charts;

/// <summary>
/// One chart: the figures of one <see cref="Metric"/>, a group of bars per scenario and a bar per implementation (both
/// in the order they first appear in the file), so a new implementation or scenario in the CSV is a new bar or group.
/// </summary>
/// <param name="Metric">The <see cref="BenchFigure.Metric"/> drawn.</param>
/// <param name="FileName">The SVG's name without prefix and extension.</param>
/// <param name="Title">The chart's heading.</param>
/// <param name="HigherIsBetter">Printed under the heading; null says nothing.</param>
/// <param name="Divisor">The CSV's values are divided by it for display (1024 to show bytes as KiB).</param>
/// <param name="DisplayUnit">The axis unit after <paramref name="Divisor"/>; null: the figures' own unit.</param>
/// <param name="ReferenceLine">A dashed line at this displayed value (1 for ratios), or null.</param>
internal sealed record ChartSpec(
    string Metric,
    string FileName,
    string Title,
    bool? HigherIsBetter,
    double Divisor = 1,
    string? DisplayUnit = null,
    double? ReferenceLine = null);
