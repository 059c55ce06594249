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
/// <param name="QueuedBytes">Plaintext waiting for the handshake (Kamailio's <c>ct_wq_size</c>).</param>
/// <param name="Generation">The profile-set generation the connection belongs to.</param>
/// <param name="KeyExchangeGroup">The negotiated key exchange group (e.g. <c>X25519</c>); null before the handshake or when none was used.</param>
/// <param name="Created">When the module created the connection (Kamailio's <c>timestamp</c>).</param>
/// <param name="LastActivity">When the connection last received or sent bytes (its creation before any I/O).</param>
/// <param name="Flags">Kamailio's connection flags: <see cref="FlagWriteWantsRead"/>, <see cref="FlagHandshaked"/>, <see cref="FlagRenegotiation"/>.</param>
/// <param name="EncryptedReadBytes">
/// Ciphertext received and held that does not complete a record yet (kept by the ClientHello check or by OpenSSL);
/// Kamailio's <c>enc_rd_buf</c>.
/// </param>
/// <param name="PendingPlaintextBytes">Decrypted bytes OpenSSL holds that no read has taken yet (<c>SSL_pending</c>).</param>
/// <param name="ReleasesBuffers">Whether the connection's SSL frees its record buffers while idle (<c>ssl_release_buffers</c>, <c>SSL_MODE_RELEASE_BUFFERS</c>).</param>
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
    string? KeyExchangeGroup,
    DateTimeOffset Created,
    DateTimeOffset LastActivity,
    int Flags,
    int EncryptedReadBytes,
    int PendingPlaintextBytes,
    bool ReleasesBuffers)
{
    /// <summary>Flag 1: written plaintext waits for the handshake to read (queued clear text; Kamailio's "write wants read").</summary>
    public const int FlagWriteWantsRead = 1;

    /// <summary>Flag 2: the handshake has completed.</summary>
    public const int FlagHandshaked = 2;

    /// <summary>
    /// Flag 4 (Kamailio: the client started a renegotiation). Never set here: OpenSSL itself refuses or runs a
    /// renegotiation (<c>renegotiation</c>), the connection is not told.
    /// </summary>
    public const int FlagRenegotiation = 4;
}
