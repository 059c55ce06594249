using OpenSslTls.Module;

namespace OpenSslTls.Extensions.Hosting;

/// <summary>
/// How <c>AddOpenSslTls</c> runs the module in a host, beside the module parameters (<c>TlsModuleOptions</c>):
/// tracing, the idle sweep, a client-only host, <c>event_callback</c> handlers. Set them with
/// <c>services.Configure&lt;TlsHostingOptions&gt;(…)</c>; they are read once, when the module is created.
/// </summary>
public sealed class TlsHostingOptions
{
    /// <summary>
    /// A span per handshake on the <c>OpenSslTls</c> <see cref="System.Diagnostics.ActivitySource"/>
    /// (<see cref="TlsModuleHostOptions.HandshakeTracing"/>). Default false.
    /// </summary>
    public bool HandshakeTracing { get; set; }

    /// <summary>
    /// How often the hosted service runs <see cref="TlsModule.SweepIdleConnections"/> (on the host's
    /// <see cref="TimeProvider"/>), closing connections past <c>connection_timeout</c> / <c>tcp_connection_lifetime</c>
    /// and raising <see cref="TlsModule.ConnectionExpired"/> for the host to close their sockets. Default 1 second
    /// (the limits are in seconds); <see cref="TimeSpan.Zero"/> or <see cref="Timeout.InfiniteTimeSpan"/>: no sweep.
    /// </summary>
    public TimeSpan IdleSweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A host that only opens outgoing connections (<see cref="TlsModuleHostOptions.ClientOnly"/>). Default false.</summary>
    public bool ClientOnly { get; set; }

    /// <summary>
    /// Session-ticket keys shared by every server profile and kept across reloads
    /// (<see cref="TlsModuleHostOptions.TicketKeys"/>), e.g. a cluster's, filled by <c>AddOpenSslTlsRedisCluster</c>.
    /// Whoever sets it owns it and disposes it after the module. Default null: OpenSSL's own keys.
    /// </summary>
    public OpenSslTls.Profiles.TlsTicketKeyRing? TicketKeys { get; set; }

    /// <summary>
    /// The TLS 1.2 session-id cache of every server profile (<see cref="TlsModuleHostOptions.SessionStore"/>), e.g. a
    /// cluster's. Whoever sets it owns it. Default null: OpenSSL's internal cache.
    /// </summary>
    public OpenSslTls.Profiles.TlsSessionStore? SessionStore { get; set; }

    /// <summary>
    /// Whether something in the host runs the cluster store the module's <c>cluster_*</c> parameters describe
    /// (<see cref="TlsModuleHostOptions.HandlesClusterParameters"/>); <c>AddOpenSslTlsRedisCluster</c> sets it. Without
    /// it a <c>cluster_address</c> fails the module's start.
    /// </summary>
    public bool HandlesClusterParameters { get; set; }

    /// <summary>The handlers <c>event_callback</c> can name (<see cref="TlsModuleHostOptions.EventHandlers"/>).</summary>
    public IDictionary<string, Action<TlsConnectionEventArgs>> EventHandlers { get; } = new Dictionary<string, Action<TlsConnectionEventArgs>>(StringComparer.Ordinal);
}
