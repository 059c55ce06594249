namespace OpenSslTls.Interop;

/// <summary>What a ticket key lookup found (<see cref="ITicketKeyProvider.FindDecryptionKey"/>).</summary>
internal enum TicketKeyMatch
{
    /// <summary>No key of that name: the ticket is ignored and the handshake is a full one.</summary>
    None,

    /// <summary>The key that encrypts new tickets now.</summary>
    Current,

    /// <summary>An older key still in the window: the ticket is accepted and a new one under the current key is issued.</summary>
    Older,
}

/// <summary>
/// The session-ticket keys of a server context (<see cref="TicketKeyCallback"/>), held by the library instead of
/// OpenSSL's per-context random ones, so contexts that share a provider (every profile of a module across reloads,
/// every node of a cluster) accept each other's tickets. A key is a 16-byte name, a 32-byte HMAC-SHA256 secret and a
/// 32-byte AES-256 key. Called on the handshake's thread inside OpenSSL: must not block.
/// </summary>
internal interface ITicketKeyProvider
{
    /// <summary>Copies the key that encrypts new tickets; false when there is none (no ticket is issued).</summary>
    bool TryGetEncryptionKey(Span<byte> name, Span<byte> hmacSecret, Span<byte> aesKey);

    /// <summary>Copies the key named <paramref name="name"/>, if the window still holds it.</summary>
    TicketKeyMatch FindDecryptionKey(ReadOnlySpan<byte> name, Span<byte> hmacSecret, Span<byte> aesKey);
}
