using OpenSslTls.Connections;

namespace OpenSslTls.Module;

/// <summary>One row of <c>tls.list</c>.</summary>
/// <param name="Id">The connection id (<c>tls.kill</c> takes it).</param>
/// <param name="TimeoutSeconds">Seconds until its idle limit expires it (connection_timeout before any application data, tcp_connection_lifetime after); -1 when that limit is -1.</param>
/// <param name="Source">The remote endpoint, as the host reported it.</param>
/// <param name="Destination">The local endpoint.</param>
/// <param name="CipherDescription">The negotiated cipher's description, empty before the handshake.</param>
/// <param name="Version">The negotiated protocol, empty before the handshake.</param>
/// <param name="State">The connection's state.</param>
/// <param name="Profile">The label of the profile in use.</param>
/// <param name="ServerName">The SNI name, if any.</param>
/// <param name="QueuedBytes">Plaintext waiting for the handshake.</param>
/// <param name="Generation">The profile-set generation the connection belongs to.</param>
/// <param name="KeyExchangeGroup">The negotiated key exchange group (e.g. <c>X25519</c>); null before the handshake or when none was used.</param>
public sealed record TlsConnectionSummary(
    long Id,
    long TimeoutSeconds,
    string? Source,
    string? Destination,
    string CipherDescription,
    string Version,
    TlsConnectionState State,
    string Profile,
    string? ServerName,
    int QueuedBytes,
    long Generation,
    string? KeyExchangeGroup);
