namespace OpenSslTls.Benchmarks.Charts;

/// <summary>
/// One measured figure in the long format every bench writes to CSV: which scenario, which implementation, which metric,
/// the value and its unit. Long rather than wide so a new implementation (a new column of a table) or a new scenario is
/// new rows, and the charts drawn from the file pick it up without a change to the chart code.
/// </summary>
/// <param name="Scenario">The row's title as the table prints it (e.g. <c>record 1400 B AES-128-GCM</c>).</param>
/// <param name="Implementation">Who was measured (e.g. <c>C</c>, <c>SslStream</c>, <c>OpenSslTls</c>); for facts about the run, <see cref="Run"/>.</param>
/// <param name="Metric">A stable machine name (e.g. <c>record-rate</c>); <see cref="ChartCatalog"/> says which metrics are charted.</param>
/// <param name="Value">The figure, in <paramref name="Unit"/>.</param>
/// <param name="Unit">Its unit as printed (e.g. <c>MB/s</c>).</param>
internal sealed record BenchFigure(string Scenario, string Implementation, string Metric, double Value, string Unit)
{
    /// <summary>The scenario and implementation of facts about the run itself (load average at start and end).</summary>
    public const string Run = "run";

    /// <summary>
    /// The metric of a row saying the scenario's figures were measured while the machine changed speed (value: the
    /// disagreement in percent): its charts draw that scenario's bars pale and say so, since bars side by side invite the
    /// very ratio the bench refused to print.
    /// </summary>
    public const string Unstable = "unstable";
}
