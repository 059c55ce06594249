namespace OpenSslTls.Profiles;

/// <summary>
/// Picks the server profile for the SNI name a client sent, during the handshake. Return
/// <paramref name="current"/> or null to keep the profile the connection started with.
/// </summary>
/// <param name="current">The profile the connection was created from (chosen by local address).</param>
/// <param name="serverName">The host name from the ClientHello.</param>
/// <returns>The profile whose certificate and settings the handshake should use, or null to keep <paramref name="current"/>.</returns>
public delegate TlsProfile? TlsServerNameSelector(TlsProfile current, string serverName);
