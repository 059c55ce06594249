using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Module;

/// <summary>
/// The module's instruments (System.Diagnostics.Metrics), named and tagged by OpenTelemetry's semantic conventions the
/// way Kestrel names its TLS instruments (<c>kestrel.active_tls_handshakes</c>, <c>kestrel.tls_handshake.duration</c>),
/// with this library's prefix. Every instrument and tag is listed in docs/metrics.md.
/// </summary>
internal sealed class TlsMetrics : IDisposable
{
    internal const string MeterName = "OpenSslTls";

    internal const string HandshakeDurationName = "openssltls.tls_handshake.duration";
    internal const string ActiveHandshakesName = "openssltls.active_tls_handshakes";
    internal const string ActiveConnectionsName = "openssltls.active_connections";
    internal const string IoName = "openssltls.io";
    internal const string ReloadsName = "openssltls.reloads";
    internal const string QueuedClearTextName = "openssltls.cleartext_queue.size";
    internal const string ClusterResumptionsName = "openssltls.cluster.resumptions";
    internal const string ClusterKeyGenerationName = "openssltls.cluster.key_generation";
    internal const string ClusterStoreErrorsName = "openssltls.cluster.store.errors";

    // Buckets for handshakes: from a resumption on loopback (well under a millisecond) to a peer on another continent
    // or a client-certificate prompt (seconds), as Kestrel's handshake histogram advises.
    private static readonly double[] HandshakeBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _handshakeDuration;
    private readonly UpDownCounter<long> _activeHandshakes;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _reloads;

    internal TlsMetrics(IMeterFactory? factory, Func<long> queuedBytes, Func<TlsClusterInfo?>? cluster = null)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _handshakeDuration = _meter.CreateHistogram(
            HandshakeDurationName, "s", "Duration of TLS handshakes, from the connection's creation to the end of its handshake",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HandshakeBuckets });
        _activeHandshakes = _meter.CreateUpDownCounter<long>(ActiveHandshakesName, "{handshake}", "TLS handshakes in progress");
        _activeConnections = _meter.CreateUpDownCounter<long>(ActiveConnectionsName, "{connection}", "Open TLS connections");
        _bytes = _meter.CreateCounter<long>(IoName, "By", "Ciphertext bytes received and sent (network.io.direction)");
        _reloads = _meter.CreateCounter<long>(ReloadsName, "{reload}", "Profile reloads; error.type on the failed ones");
        _meter.CreateObservableUpDownCounter(QueuedClearTextName, queuedBytes, "By", "Plaintext queued until handshakes complete");
        if (cluster is not null)
        {
            // Observed, not counted per event: the ring and the store keep the counts (they are shared by reloads).
            _meter.CreateObservableCounter(ClusterResumptionsName, () => ClusterResumptions(cluster()), "{resumption}", "Offers of tickets (openssltls.cluster.kind=ticket) and TLS 1.2 session ids (session_id) the shared keys and store answered (openssltls.cluster.outcome=hit) or not (miss)");
            _meter.CreateObservableCounter(ClusterKeyGenerationName, () => cluster()?.KeyGeneration ?? 0, "{generation}", "Changes of the shared ticket key set (rotations picked up)");
            _meter.CreateObservableCounter(ClusterStoreErrorsName, () => cluster()?.StoreErrors ?? 0, "{error}", "Failed or timed-out operations of the cluster store");
        }
    }

    private static Measurement<long>[] ClusterResumptions(TlsClusterInfo? info) => info is null
        ? []
        :
        [
            new(info.TicketHits, new KeyValuePair<string, object?>("openssltls.cluster.kind", "ticket"), new KeyValuePair<string, object?>("openssltls.cluster.outcome", "hit")),
            new(info.TicketMisses, new KeyValuePair<string, object?>("openssltls.cluster.kind", "ticket"), new KeyValuePair<string, object?>("openssltls.cluster.outcome", "miss")),
            new(info.SessionHits, new KeyValuePair<string, object?>("openssltls.cluster.kind", "session_id"), new KeyValuePair<string, object?>("openssltls.cluster.outcome", "hit")),
            new(info.SessionMisses, new KeyValuePair<string, object?>("openssltls.cluster.kind", "session_id"), new KeyValuePair<string, object?>("openssltls.cluster.outcome", "miss")),
        ];

    /// <summary>A connection was created: it is open, and its handshake is in progress until it completes or fails.</summary>
    internal void ConnectionOpened()
    {
        _activeConnections.Add(1);
        _activeHandshakes.Add(1);
    }

    /// <summary>A connection was released; <paramref name="handshakeEnded"/> false when it closed during its handshake.</summary>
    internal void ConnectionClosed(bool handshakeEnded)
    {
        _activeConnections.Add(-1);
        if (!handshakeEnded)
        {
            _activeHandshakes.Add(-1);
        }
    }

    /// <summary>A handshake completed; <paramref name="firstEnd"/> false when its end was already counted.</summary>
    internal void HandshakeCompleted(TlsRole role, int protocolVersion, IPEndPoint? remote, TimeSpan duration, bool firstEnd = true)
    {
        if (firstEnd)
        {
            _activeHandshakes.Add(-1);
        }

        if (!_handshakeDuration.Enabled)
        {
            return; // no listener: no tags built per handshake
        }

        TagList tags = CommonTags(role, remote);
        tags.Add("tls.protocol.version", ProtocolVersion(protocolVersion));
        _handshakeDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>A handshake failed; <paramref name="firstEnd"/> false when its end was already counted.</summary>
    internal void HandshakeFailed(TlsRole role, TlsException error, IPEndPoint? remote, TimeSpan duration, bool firstEnd = true)
    {
        if (firstEnd)
        {
            _activeHandshakes.Add(-1);
        }

        TagList tags = CommonTags(role, remote);
        tags.Add("error.type", ErrorType(error));
        _handshakeDuration.Record(duration.TotalSeconds, tags);
    }

    internal void RecordBytes(long received, long sent)
    {
        if (!_bytes.Enabled)
        {
            return;
        }

        if (received > 0)
        {
            _bytes.Add(received, new KeyValuePair<string, object?>("network.io.direction", "receive"));
        }

        if (sent > 0)
        {
            _bytes.Add(sent, new KeyValuePair<string, object?>("network.io.direction", "transmit"));
        }
    }

    internal void Reloaded(bool succeeded)
    {
        if (succeeded)
        {
            _reloads.Add(1);
        }
        else
        {
            // A reload fails only on its configuration (a file, a profile OpenSSL refuses); the old set stays.
            _reloads.Add(1, new KeyValuePair<string, object?>("error.type", "invalid_configuration"));
        }
    }

    /// <summary>
    /// <c>error.type</c> for a failed handshake: a low-cardinality name of the cause. OpenSSL's reason (its set is
    /// fixed by OpenSSL) in snake case, e.g. <c>certificate_verify_failed</c>, <c>wrong_version_number</c>,
    /// <c>no_application_protocol</c>; else the kind of failure.
    /// </summary>
    internal static string ErrorType(TlsException error) => error switch
    {
        OpenSslException { Errors.Count: > 0 } openSsl => SnakeCase(openSsl.Errors[0].IsSystemError ? "system_error" : openSsl.Errors[0].Reason),
        TlsPeerClosedException => "peer_closed",
        TlsLowMemoryException => "low_memory",
        TlsCallbackException => "callback_failed",
        TlsClientHelloRejectedException => "client_hello_rejected",
        _ => error.GetType().FullName ?? "_OTHER",
    };

    /// <summary>A wire version (0x0304) as the convention's <c>tls.protocol.version</c> (<c>1.3</c>), without allocating.</summary>
    internal static string ProtocolVersion(int version) => version switch
    {
        0x0304 => "1.3",
        0x0303 => "1.2",
        0x0302 => "1.1",
        0x0301 => "1.0",
        0 => "unknown",
        _ => $"0x{version:x4}",
    };

    private static TagList CommonTags(TlsRole role, IPEndPoint? remote)
    {
        var tags = new TagList
        {
            { "tls.protocol.name", "tls" },
            { "openssltls.connection.role", role == TlsRole.Server ? "server" : "client" },
        };
        if (remote is not null)
        {
            tags.Add("network.transport", "tcp");
            tags.Add("network.type", remote.AddressFamily == AddressFamily.InterNetworkV6 && !remote.Address.IsIPv4MappedToIPv6 ? "ipv6" : "ipv4");
        }

        return tags;
    }

    private static string SnakeCase(string reason)
    {
        Span<char> buffer = stackalloc char[Math.Min(reason.Length, 64)];
        int length = 0;
        foreach (char c in reason.AsSpan(0, buffer.Length))
        {
            buffer[length++] = char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_';
        }

        return new string(buffer[..length]);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
