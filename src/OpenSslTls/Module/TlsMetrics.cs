using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpenSslTls.Module;

/// <summary>
/// The module's instruments (System.Diagnostics.Metrics, OpenTelemetry naming): handshakes by result and protocol,
/// handshake duration, active connections, ciphertext bytes by direction, queued clear text and reloads.
/// </summary>
internal sealed class TlsMetrics : IDisposable
{
    internal const string MeterName = "OpenSslTls";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _handshakes;
    private readonly Histogram<double> _handshakeDuration;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _reloads;

    internal TlsMetrics(IMeterFactory? factory, Func<long> queuedBytes)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _handshakes = _meter.CreateCounter<long>("openssltls.handshakes", "{handshake}", "TLS handshakes by result (success/failure) and protocol");
        _handshakeDuration = _meter.CreateHistogram<double>("openssltls.handshake.duration", "s", "Time from the connection's creation to the end of its handshake");
        _activeConnections = _meter.CreateUpDownCounter<long>("openssltls.connections.active", "{connection}", "Open TLS connections");
        _bytes = _meter.CreateCounter<long>("openssltls.io", "By", "Ciphertext bytes by direction (receive/transmit)");
        _reloads = _meter.CreateCounter<long>("openssltls.reloads", "{reload}", "Profile reloads by result");
        _meter.CreateObservableGauge("openssltls.cleartext_queue.size", queuedBytes, "By", "Plaintext queued until handshakes complete");
    }

    internal void ConnectionOpened() => _activeConnections.Add(1);

    internal void ConnectionClosed() => _activeConnections.Add(-1);

    internal void HandshakeCompleted(string protocol, TimeSpan duration)
    {
        var tags = new TagList { { "result", "success" }, { "tls.protocol", protocol } };
        _handshakes.Add(1, tags);
        _handshakeDuration.Record(duration.TotalSeconds, tags);
    }

    internal void HandshakeFailed(TimeSpan duration)
    {
        var tags = new TagList { { "result", "failure" } };
        _handshakes.Add(1, tags);
        _handshakeDuration.Record(duration.TotalSeconds, tags);
    }

    internal void RecordBytes(long received, long sent)
    {
        if (received > 0)
        {
            _bytes.Add(received, new KeyValuePair<string, object?>("direction", "receive"));
        }

        if (sent > 0)
        {
            _bytes.Add(sent, new KeyValuePair<string, object?>("direction", "transmit"));
        }
    }

    internal void Reloaded(bool succeeded) => _reloads.Add(1, new KeyValuePair<string, object?>("result", succeeded ? "success" : "failure"));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
