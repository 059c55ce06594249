namespace OpenSslTls.Cluster.Redis;

/// <summary>
/// The cluster store as <c>services.AddOpenSslTlsRedisCluster(section)</c> binds it: the same values as serve's
/// <c>--cluster</c> flags and the module parameters <c>cluster_address</c>, <c>cluster_key_file</c>,
/// <c>cluster_rotation</c>, <c>cluster_window</c>, <c>cluster_lookup_timeout</c> and <c>cluster_key_prefix</c>
/// (which <c>AddOpenSslTlsRedisCluster()</c> reads instead; one place or the other, never both). Keys of the section: <c>Address</c>, <c>KeyFile</c>, <c>RotationInterval</c>,
/// <c>Window</c>, <c>LookupTimeout</c>, <c>KeyPrefix</c> (times as .NET <see cref="TimeSpan"/> text, <c>12:00:00</c>,
/// or whole seconds / milliseconds: <c>RotationInterval=43200</c> seconds, <c>LookupTimeout=100</c> milliseconds).
/// </summary>
public sealed class RedisClusterOptions
{
    /// <summary>The Redis server, <c>redis://HOST:PORT</c> (or <c>HOST:PORT</c>). Required.</summary>
    public string? Address { get; set; }

    /// <summary>
    /// The file holding the key-encryption key every node shares (32 bytes, or their hex digits or base64 on one line;
    /// <see cref="RedisTicketKeyStore.ReadKeyEncryptionKey"/>). Required; a relative path is taken from the current directory.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>How old the newest ticket key gets before a node makes the next one (default 12 h, at least 1 s).</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How many ticket keys the cluster keeps, the newest sealing and the others only opening (default 3, 2 to 16).</summary>
    public int Window { get; set; } = 3;

    /// <summary>The longest a handshake waits for Redis on a session-id lookup (default 100 ms, 1 ms to 5 s).</summary>
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Prefix of the Redis keys (default <c>openssltls:</c>); clusters sharing one Redis need different ones.</summary>
    public string KeyPrefix { get; set; } = "openssltls:";

    /// <summary>Where the values came from (the section's path), to name the key in errors.</summary>
    internal string SectionPath { get; set; } = "Cluster";

    /// <summary>
    /// Set by <c>AddOpenSslTlsRedisCluster()</c>: the values come from the module's own parameters
    /// (<c>cluster_address</c>, …), copied in by <see cref="RedisClusterModuleParameters"/>, and errors name those.
    /// </summary>
    internal bool FromModuleParameters { get; set; }

    /// <summary>How errors name <paramref name="key"/>: <c>TlsCluster:KeyFile</c>, or the module parameter <c>cluster_key_file</c>.</summary>
    internal string KeyName(string key) => !FromModuleParameters ? $"{SectionPath}:{key}" : key switch
    {
        nameof(Address) => "cluster_address",
        nameof(KeyFile) => "cluster_key_file",
        nameof(RotationInterval) => "cluster_rotation",
        nameof(Window) => "cluster_window",
        nameof(LookupTimeout) => "cluster_lookup_timeout",
        nameof(KeyPrefix) => "cluster_key_prefix",
        _ => key,
    };

    /// <summary>Values the section held that are no number or time (key and problem), reported by the validator.</summary>
    internal List<string> BindingErrors { get; } = [];
}
