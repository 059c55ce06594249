namespace OpenSslTls.Cluster.Redis;

/// <summary>How a node shares its TLS 1.2 sessions by session id through Redis (<see cref="RedisSessionStore"/>).</summary>
public sealed class RedisSessionStoreOptions
{
    /// <summary>The Redis server, in StackExchange.Redis's configuration syntax (<c>127.0.0.1:6379,password=…</c>).</summary>
    public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>Prefix of the Redis keys (as for the ticket keys; authenticated with every stored session).</summary>
    public string KeyPrefix { get; set; } = "openssltls:";

    /// <summary>
    /// The cluster's key-encryption key (<see cref="RedisTicketKeyStoreOptions.KeyEncryptionKeyLength"/> bytes, the same
    /// one as for the ticket keys): sessions are stored encrypted with it, so Redis never holds a master secret in clear.
    /// </summary>
    public ReadOnlyMemory<byte> KeyEncryptionKey { get; set; }

    /// <summary>
    /// The longest a handshake waits for Redis to look up a session id (default 100 ms); past it the handshake goes on as
    /// a full one, and lookups skip Redis for <see cref="RetryAfter"/>.
    /// </summary>
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long lookups skip Redis after one failed or timed out (default 1 s): a Redis that is down or slow costs no handshake any wait.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Sessions larger than this (DER bytes; a client certificate makes them grow) are not shared (default 16 KiB).</summary>
    public int MaxSessionBytes { get; set; } = 16 * 1024;

    /// <summary>The longest a session is kept, whatever its own timeout says (default 24 h).</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Sessions this node also keeps in memory (encrypted, as stored) so its own resume without Redis (default 20480, OpenSSL's own cache size).</summary>
    public int LocalSessions { get; set; } = 20480;

    internal void Validate()
    {
        if (KeyEncryptionKey.Length != RedisTicketKeyStoreOptions.KeyEncryptionKeyLength)
        {
            throw new ArgumentException($"the key-encryption key must be {RedisTicketKeyStoreOptions.KeyEncryptionKeyLength} bytes", nameof(KeyEncryptionKey));
        }

        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new ArgumentException("no Redis server configured", nameof(Configuration));
        }

        if (LookupTimeout < TimeSpan.FromMilliseconds(1) || LookupTimeout > TimeSpan.FromSeconds(5))
        {
            throw new ArgumentOutOfRangeException(nameof(LookupTimeout), LookupTimeout, "the lookup timeout is 1 ms to 5 s");
        }

        if (RetryAfter < TimeSpan.Zero || MaxLifetime < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RetryAfter), "RetryAfter is not negative and MaxLifetime at least 1 s");
        }

        if (MaxSessionBytes < 256 || LocalSessions < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSessionBytes), "MaxSessionBytes at least 256, LocalSessions not negative");
        }
    }
}
