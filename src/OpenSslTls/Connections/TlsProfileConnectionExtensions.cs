using System.Net;
using OpenSslTls.Certificates;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// Creating connections from profiles and profile sets. Connections are made in this layer, above the profiles
/// they use, so a profile never depends on its connections.
/// </summary>
public static class TlsProfileConnectionExtensions
{
    /// <summary>
    /// Creates a connection of <paramref name="profile"/>'s role. For clients, <paramref name="serverName"/> is sent as
    /// SNI (else the profile's <c>server_name</c>), and <paramref name="resumeSession"/> offers a previous session.
    /// For servers, <paramref name="serverNameSelector"/> may switch the connection to another server profile when
    /// the client's SNI asks for it (certificate, CAs, verification and options all come from the chosen profile), or
    /// <paramref name="serverProfileSelection"/> chooses the profile for every ClientHello and may take its time (the
    /// handshake then reports <see cref="TlsStatus.WantsCallback"/>; see <see cref="TlsServerProfileSelectionCallback"/>);
    /// give one or neither. A client checks the server's certificate against the server name (verify_hostname); both
    /// roles show the peer's certificate to <paramref name="certificateValidation"/> when given, else to the profile's
    /// <c>CertificateValidation</c> (on a server: the profile in use when the client's certificate arrives).
    /// </summary>
    public static TlsConnection CreateConnection(
        this TlsProfile profile,
        string? serverName = null,
        TlsSession? resumeSession = null,
        TlsServerNameSelector? serverNameSelector = null,
        TlsCertificateValidationCallback? certificateValidation = null,
        TlsServerProfileSelectionCallback? serverProfileSelection = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new TlsConnection(profile, serverName, resumeSession, serverNameSelector, NoConnectionObserver.Instance, SslEngineOptions.Default, certificateValidation, serverProfileSelection);
    }

    /// <summary>
    /// A server connection for a TCP connection accepted on <paramref name="local"/>: the profile comes from
    /// <see cref="TlsProfileSet.SelectServer"/>, and the client's SNI may switch it during the handshake
    /// (<see cref="TlsProfileSet.SelectServerBySni"/>), unless <paramref name="serverProfileSelection"/> is given: it
    /// then chooses instead (it may ask <see cref="TlsProfileSet.SelectServerBySni"/> itself). The client's certificate
    /// goes to <paramref name="certificateValidation"/> when given, else to the profile's <c>CertificateValidation</c>.
    /// </summary>
    public static TlsConnection CreateServerConnection(
        this TlsProfileSet profiles,
        IPEndPoint local,
        TlsServerProfileSelectionCallback? serverProfileSelection = null,
        TlsCertificateValidationCallback? certificateValidation = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        TlsProfile profile = profiles.SelectServer(local);
        return serverProfileSelection is not null
            ? profile.CreateConnection(certificateValidation: certificateValidation, serverProfileSelection: serverProfileSelection)
            : profile.CreateConnection(serverNameSelector: profiles.ServerNameSelectorFor(local), certificateValidation: certificateValidation);
    }

    /// <summary>
    /// A client connection to <paramref name="remote"/> on the profile <see cref="TlsProfileSet.SelectClient"/> picks;
    /// <paramref name="serverName"/> is also sent as SNI (else the profile's server_name), and
    /// <paramref name="resumeSession"/> offers a previous session; <paramref name="certificateValidation"/> replaces the
    /// profile's validation callback.
    /// </summary>
    public static TlsConnection CreateClientConnection(
        this TlsProfileSet profiles,
        IPEndPoint remote,
        string? serverName = null,
        string? serverId = null,
        TlsSession? resumeSession = null,
        TlsCertificateValidationCallback? certificateValidation = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        return profiles.SelectClient(remote, serverName, serverId).CreateConnection(serverName, resumeSession, certificateValidation: certificateValidation);
    }

    /// <summary>
    /// A client connection to <paramref name="remote"/> with Kamailio's per-connection <c>xavp_cfg</c> override: the
    /// profile <see cref="TlsProfileSet.SelectClient"/> picks for <see cref="TlsClientOverride.ServerId"/> and
    /// <see cref="TlsClientOverride.ServerName"/>, which is also sent as SNI (else the profile's server_name).
    /// </summary>
    public static TlsConnection CreateClientConnection(
        this TlsProfileSet profiles,
        IPEndPoint remote,
        TlsClientOverride overrides,
        TlsSession? resumeSession = null,
        TlsCertificateValidationCallback? certificateValidation = null)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        return profiles.CreateClientConnection(remote, overrides.ServerName, overrides.ServerId, resumeSession, certificateValidation);
    }

    /// <summary>As the public overload, watched by <paramref name="observer"/>, on the engine <paramref name="engine"/> describes.</summary>
    internal static TlsConnection CreateConnection(
        this TlsProfile profile,
        IConnectionObserver observer,
        SslEngineOptions engine,
        string? serverName = null,
        TlsSession? resumeSession = null,
        TlsServerNameSelector? serverNameSelector = null,
        TlsCertificateValidationCallback? certificateValidation = null,
        TlsServerProfileSelectionCallback? serverProfileSelection = null) =>
        new(profile, serverName, resumeSession, serverNameSelector, observer, engine, certificateValidation, serverProfileSelection);
}
