using System.Net;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>How a <see cref="SipTlsServer"/> listens and what it tolerates from a connection.</summary>
internal sealed record SipTlsServerOptions
{
    /// <summary>The SIP-over-TLS port of RFC 3261 §19.1.2.</summary>
    public const int DefaultPort = 5061;

    /// <summary>Where to listen; port 0 picks a free port (see <see cref="SipTlsServer.LocalEndpoints"/>).</summary>
    public IReadOnlyList<IPEndPoint> ListenEndpoints { get; init; } = [new IPEndPoint(IPAddress.Loopback, DefaultPort)];

    /// <summary>A connection whose handshake has not completed this long after accept is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="SipTlsServer.StopAsync"/> waits for connections to send close_notify and close.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections beyond this many are closed right after accept (Kamailio's <c>tcp_max_connections</c> role).</summary>
    public int MaxConnections { get; init; } = 16384;

    /// <summary>Header and body limits of the SIP framing.</summary>
    public SipFramingLimits Framing { get; init; } = new();

    /// <summary>Listen backlog per socket.</summary>
    public int Backlog { get; init; } = 1024;
}
