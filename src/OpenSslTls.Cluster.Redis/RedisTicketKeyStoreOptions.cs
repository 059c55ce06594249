namespace OpenSslTls.Cluster.Redis;

/// <summary>How a node shares its session-ticket keys through Redis (<see cref="RedisTicketKeyStore"/>).</summary>
public sealed class RedisTicketKeyStoreOptions
{
    /// <summary>Bytes of the key-encryption key (AES-256-GCM).</summary>
    public const int KeyEncryptionKeyLength = 32;

    /// <summary>The Redis server, in StackExchange.Redis's configuration syntax (<c>127.0.0.1:6379,password=…</c>).</summary>
    public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>
    /// Prefix of the Redis keys this cluster uses; clusters sharing one Redis need different prefixes. It is also
    /// authenticated with every wrapped key, so a key copied under another prefix is refused.
    /// </summary>
    public string KeyPrefix { get; set; } = "openssltls:";

    /// <summary>
    /// The key-encryption key every node of the cluster has (from its configuration, never from Redis): ticket keys
    /// are stored wrapped with it, so a Redis snapshot alone reveals none. Exactly <see cref="KeyEncryptionKeyLength"/>
    /// bytes; see <see cref="RedisTicketKeyStore.ReadKeyEncryptionKey"/>.
    /// </summary>
    public ReadOnlyMemory<byte> KeyEncryptionKey { get; set; }

    /// <summary>How old the newest key may get before a node makes the next one (default 12 h).</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How many keys the cluster keeps: the newest seals, the others only open (default 3).</summary>
    public int Window { get; set; } = 3;

    /// <summary>How often a node reads the keys (default 5 s): every node picks up a rotation within this.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest one Redis operation may take before it counts as failed (default 1 s).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>This node's name in the rotation lease (default: host name and process id).</summary>
    public string NodeName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>
    /// How long a new key only opens tickets before it seals them: long enough for every node to have read it (two
    /// refresh intervals, at most half the rotation interval). Tests set it to zero to show why it exists.
    /// </summary>
    internal TimeSpan ActivationDelay => ActivationDelayOverride ?? Min(2 * RefreshInterval, RotationInterval / 2);

    /// <summary>A test's own activation delay (null: the rule above).</summary>
    internal TimeSpan? ActivationDelayOverride { get; set; }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    internal void Validate()
    {
        if (KeyEncryptionKey.Length != KeyEncryptionKeyLength)
        {
            throw new ArgumentException($"the key-encryption key must be {KeyEncryptionKeyLength} bytes, not {KeyEncryptionKey.Length}", nameof(KeyEncryptionKey));
        }

        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new ArgumentException("no Redis server configured", nameof(Configuration));
        }

        if (Window < 1 || Window > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "the key window is 1 to 16 keys");
        }

        if (RotationInterval < TimeSpan.FromSeconds(1) || RefreshInterval < TimeSpan.FromMilliseconds(100) || OperationTimeout < TimeSpan.FromMilliseconds(50))
        {
            throw new ArgumentOutOfRangeException(nameof(RotationInterval), "rotation at least 1 s, refresh at least 100 ms, operation timeout at least 50 ms");
        }
    }
}
