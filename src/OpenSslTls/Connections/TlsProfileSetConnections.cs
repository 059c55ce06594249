using System.Net;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// Connections made straight from a <see cref="TlsProfileSet"/>: selection (profile layer) followed by
/// <see cref="TlsProfile.CreateConnection"/> (this layer), for hosts that keep no <c>TlsModule</c>.
/// </summary>
public static class TlsProfileSetConnections
{
    /// <summary>
    /// A server connection for a TCP connection accepted on <paramref name="local"/>: the profile comes from
    /// <see cref="TlsProfileSet.SelectServer"/>, and the client's SNI may switch it during the handshake
    /// (<see cref="TlsProfileSet.SelectServerBySni"/>).
    /// </summary>
    public static TlsConnection CreateServerConnection(this TlsProfileSet profiles, IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        return profiles.SelectServer(local).CreateConnection(serverNameSelector: profiles.ServerNameSelectorFor(local));
    }

    /// <summary>
    /// A client connection to <paramref name="remote"/> on the profile <see cref="TlsProfileSet.SelectClient"/> picks;
    /// <paramref name="serverName"/> is also sent as SNI (else the profile's server_name), and
    /// <paramref name="resumeSession"/> offers a previous session.
    /// </summary>
    public static TlsConnection CreateClientConnection(this TlsProfileSet profiles, IPEndPoint remote, string? serverName = null, string? serverId = null, TlsSession? resumeSession = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        return profiles.SelectClient(remote, serverName, serverId).CreateConnection(serverName, resumeSession);
    }
}
