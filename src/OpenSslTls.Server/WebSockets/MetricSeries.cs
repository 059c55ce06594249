namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// One instrument and tag set as <see cref="MetricsReader"/> keeps it: <see cref="Value"/> is the sum (counters,
/// histograms) or the last observation (gauges); <see cref="Count"/> the measurements taken (a histogram's count).
/// </summary>
internal sealed record MetricSeries(string Name, string Tags, string Kind, string Unit)
{
    public double Value { get; init; }

    public long Count { get; init; }
}
