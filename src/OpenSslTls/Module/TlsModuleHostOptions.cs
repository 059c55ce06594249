using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenSslTls.Configuration;
using OpenSslTls.Errors;

namespace OpenSslTls.Module;

/// <summary>What the host lends a <see cref="TlsModule"/>: logging, clock, metrics and the free-memory probe.</summary>
public sealed class TlsModuleHostOptions
{
    /// <summary>Where the module logs (one category per area: <see cref="TlsLogCategories"/>); none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for idle timeouts and handshake durations (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Creates the module's <see cref="Meter"/>; the default creates a plain <c>OpenSslTls</c> meter.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Session-ticket keys shared by every server profile of the module and kept across reloads (and, filled by a
    /// cluster store, across nodes), instead of OpenSSL's random keys per context. The host owns the ring (rotates it,
    /// disposes it after the module). Null: OpenSSL's own keys, new ones at every reload.
    /// </summary>
    public OpenSslTls.Profiles.TlsTicketKeyRing? TicketKeys { get; set; }

    /// <summary>
    /// The cache of TLS 1.2 session ids every server profile of the module uses (with <c>session_cache</c> on), kept
    /// across reloads and, as a cluster store, across nodes, instead of OpenSSL's internal cache per context. The host
    /// owns it. Null: OpenSSL's internal cache, emptied at every reload.
    /// </summary>
    public OpenSslTls.Profiles.TlsSessionStore? SessionStore { get; set; }

    /// <summary>
    /// True when the host runs the cluster store the module's cluster parameters describe (<c>cluster_address</c>,
    /// <c>cluster_key_file</c>, … — our additions), filling <see cref="TicketKeys"/> and <see cref="SessionStore"/>
    /// from them: serve does, and so does <c>AddOpenSslTlsRedisCluster</c> (package <c>OpenSslTls.Cluster.Redis</c>).
    /// The library itself only carries those values, so <see cref="TlsModule.Create"/> refuses to start a module whose
    /// <c>cluster_address</c> is set while this is false: a resumption setting is never silently ignored. Default false.
    /// </summary>
    public bool HandlesClusterParameters { get; set; }

    /// <summary>
    /// A span per handshake on the <c>OpenSslTls</c> <see cref="System.Diagnostics.ActivitySource"/> (from the
    /// connection's creation to the end of its handshake, with OpenTelemetry's <c>tls.*</c>, <c>network.*</c> and
    /// <c>error.type</c> attributes; docs/metrics.md). Off by default: a SIP server makes many connections, each span
    /// costs, and only a listener that samples them in gets any. Set before <see cref="TlsModule.Create"/>.
    /// </summary>
    public bool HandshakeTracing { get; set; }

    /// <summary>
    /// Returns the memory available to the process in kilobytes, compared with low_mem_threshold1/2. The default
    /// reads what .NET reports (<see cref="GC.GetGCMemoryInfo()"/>: total available minus the current load).
    /// </summary>
    public Func<long> AvailableMemoryKilobytes { get; set; } = DefaultAvailableMemoryKilobytes;

    /// <summary>How long a reading of <see cref="AvailableMemoryKilobytes"/> is reused before probing again.</summary>
    public TimeSpan MemoryProbeInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// True for a host that only opens outgoing connections (a SIP client, <c>openssltls send</c>): a tls.cfg without
    /// <c>[server:default]</c> then gets none, instead of Kamailio's built-in one that loads <c>cert.pem</c> from the
    /// main configuration directory, so a client-only tls.cfg needs no server certificate. Declared server profiles are
    /// still built. <see cref="TlsModule.AcceptConnection"/> throws <see cref="InvalidOperationException"/> when no
    /// server profile applies. Default false (Kamailio always starts servers).
    /// </summary>
    public bool ClientOnly { get; set; }

    /// <summary>
    /// The handlers <c>event_callback</c> can name, by exact (case-sensitive) name: Kamailio's KEMI functions, here
    /// delegates of the host. When <see cref="TlsModuleOptions.EventCallback"/> is set, <see cref="TlsModule.Create"/>
    /// refuses to start unless it names one of them (<see cref="TlsConfigurationException"/> listing the names there
    /// are; Kamailio would only log an error each time the event fires). The handler then runs once for every
    /// outgoing connection whose handshake completes, with <see cref="TlsConnectionEventArgs.EventName"/>
    /// <c>tls:connection-out</c> (Kamailio's argument), on the thread that completed the handshake, after
    /// <see cref="TlsModule.OutboundConnectionEstablished"/>. An exception it throws is logged and does not affect the
    /// connection. Handlers not named by <c>event_callback</c> never run.
    /// </summary>
    public IDictionary<string, Action<TlsConnectionEventArgs>> EventHandlers { get; } = new Dictionary<string, Action<TlsConnectionEventArgs>>(StringComparer.Ordinal);

    private static long DefaultAvailableMemoryKilobytes()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        return Math.Max(0, info.TotalAvailableMemoryBytes - info.MemoryLoadBytes) / 1024;
    }
}
