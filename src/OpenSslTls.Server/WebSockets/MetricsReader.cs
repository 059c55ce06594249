using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// What the module's instruments (meter <c>OpenSslTls</c>, docs/metrics.md) say, kept in-process for the status page:
/// counters and up-down counters summed per tag set, histograms as count and sum, observable instruments as their last
/// observation. Listening must start before the module is created, or up-down counters miss what happened before.
/// </summary>
internal sealed class MetricsReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public MetricsReader(string meterName)
    {
        ArgumentNullException.ThrowIfNull(meterName);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Every series now, by instrument name and tags (observable instruments are observed first).</summary>
    public IReadOnlyList<MetricSeries> Snapshot()
    {
        _listener.RecordObservableInstruments();
        lock (_gate)
        {
            return [.. _series.Values.OrderBy(series => series.Name, StringComparer.Ordinal).ThenBy(series => series.Tags, StringComparer.Ordinal).Select(series => series with { })];
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string tagText = TagText(tags);
        string key = instrument.Name + "{" + tagText + "}";
        string kind = instrument switch
        {
            Histogram<double> or Histogram<long> or Histogram<int> => "histogram",
            _ when instrument.IsObservable => "gauge",
            UpDownCounter<long> or UpDownCounter<double> or UpDownCounter<int> => "updowncounter",
            _ => "counter",
        };
        lock (_gate)
        {
            MetricSeries series = _series.TryGetValue(key, out MetricSeries? known) ? known : new MetricSeries(instrument.Name, tagText, kind, instrument.Unit ?? string.Empty);
            series = kind switch
            {
                "histogram" => series with { Count = series.Count + 1, Value = series.Value + value },
                "gauge" => series with { Count = series.Count + 1, Value = value },
                _ => series with { Count = series.Count + 1, Value = series.Value + value },
            };
            _series[key] = series;
        }
    }

    private static string TagText(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }

        var pairs = new List<string>(tags.Length);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            pairs.Add(tag.Key + "=" + Convert.ToString(tag.Value, CultureInfo.InvariantCulture));
        }

        pairs.Sort(StringComparer.Ordinal);
        return new StringBuilder().AppendJoin(',', pairs).ToString();
    }
}
