using System.Net;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>How a <see cref="SipWebSocketServer"/> listens and what it tolerates from a connection.</summary>
internal sealed record SipWebSocketServerOptions
{
    /// <summary>The WebSocket subprotocol of SIP (RFC 7118 §4); upgrades without it are refused.</summary>
    public const string SipSubprotocol = "sip";

    /// <summary>Where to listen; port 0 picks a free port (see <see cref="SipWebSocketServer.LocalEndpoints"/>).</summary>
    public IReadOnlyList<IPEndPoint> ListenEndpoints { get; init; } = [];

    /// <summary>Header and body limits of the SIP message in one WebSocket message; the message limit follows from them.</summary>
    public SipFramingLimits Framing { get; init; } = new();

    /// <summary>Connections beyond this many are refused (Kestrel's MaxConcurrentConnections), as on the TLS listener.</summary>
    public int MaxConnections { get; init; } = new SipTlsServerOptions().MaxConnections;

    /// <summary>Connections one IP address may hold (0: no limit), as on the TLS listener.</summary>
    public int MaxConnectionsPerAddress { get; init; } = SipTlsServerOptions.DefaultMaxConnectionsPerAddress;

    /// <summary>How often the server pings an idle WebSocket, so a vanished peer is noticed and NAT bindings stay open.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The idle limit of a connection without TLS under it (only in tests of the WebSocket layer); with TLS the profile's.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A SIP message whose first fragment arrived must be complete this long after it, as on the TLS listener
    /// (Kamailio's <c>tcp_msg_read_timeout</c>); <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan MessageReadTimeout { get; init; } = new SipTlsServerOptions().MessageReadTimeout;

    /// <summary>How long a stop waits for connections to close.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>serve's log level: ASP.NET Core's own lines are shown only at debug and trace.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    /// <summary>The status page, or null when it is off.</summary>
    public StatusPageOptions? StatusPage { get; init; }

    /// <summary>
    /// The descriptor budget this listener shares with serve's TLS listener: a connection takes a slot before any TLS
    /// work and is closed at once when there is none; null: only <see cref="MaxConnections"/> applies.
    /// </summary>
    public ISharedConnectionSlots? SharedSlots { get; init; }
}
