using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// serve's cluster store, from the module parameters <c>cluster_address</c>, <c>cluster_key_file</c>,
/// <c>cluster_rotation</c>, <c>cluster_window</c>, <c>cluster_lookup_timeout</c> and <c>cluster_key_prefix</c> (the
/// <c>--cluster*</c> flags set them over the configuration files): the module's ticket-key ring, filled from Redis by a
/// <see cref="RedisTicketKeyStore"/>, and its TLS 1.2 session-id cache, a <see cref="RedisSessionStore"/> on the same
/// Redis and key-encryption key. Resumption needs the server session cache, so a cluster turns <c>session_cache</c>
/// on (a declared deviation: Kamailio's default is off).
/// </summary>
internal sealed class ClusterTicketKeys : IAsyncDisposable
{
    private readonly TlsTicketKeyRing _ring;
    private readonly RedisTicketKeyStoreOptions _options;
    private readonly RedisSessionStore _sessions;
    private RedisTicketKeyStore? _store;

    private ClusterTicketKeys(TlsTicketKeyRing ring, RedisTicketKeyStoreOptions options, RedisSessionStore sessions, byte[] keyFingerprint)
    {
        _ring = ring;
        _options = options;
        _sessions = sessions;
        KeyFingerprint = keyFingerprint;
    }

    /// <summary>The shared session-id cache.</summary>
    public RedisSessionStore Sessions => _sessions;

    /// <summary>The ticket-key ring.</summary>
    public TlsTicketKeyRing Ring => _ring;

    /// <summary>The store once started.</summary>
    public RedisTicketKeyStore? Store => _store;

    /// <summary>SHA-256 of the key-encryption key read at start, to tell a changed key file without keeping the key in view.</summary>
    public byte[] KeyFingerprint { get; }

    /// <summary>
    /// Reads the key-encryption key and gives the module a ring and a session store, or returns null when
    /// <paramref name="options"/> configure no cluster. Throws <see cref="IOException"/> /
    /// <see cref="InvalidDataException"/> naming the key file (never its contents).
    /// </summary>
    public static ClusterTicketKeys? Prepare(TlsModuleOptions options, TlsModuleHostOptions host, ILogger log)
    {
        if (!options.HasCluster || string.IsNullOrEmpty(options.ClusterKeyFile))
        {
            return null;
        }

        // Checked by the module parameter already; the flag by ServeSettings: one parser, one message.
        string address = TlsClusterAddress.Parse(options.ClusterAddress)
            ?? throw new InvalidDataException($"cluster_address '{options.ClusterAddress}': expected {TlsClusterAddress.Expected}");
        byte[] kek = RedisTicketKeyStore.ReadKeyEncryptionKey(options.ResolvePath(options.ClusterKeyFile));
        if (!options.SessionCache)
        {
            log.LogInformation("cluster: session_cache turned on (cluster-wide resumption needs the server session cache)");
            options.SessionCache = true;
        }

        var ring = new TlsTicketKeyRing();
        host.TicketKeys = ring;
        var sessions = new RedisSessionStore(
            new RedisSessionStoreOptions
            {
                Configuration = address,
                KeyEncryptionKey = kek,
                KeyPrefix = options.ClusterKeyPrefix,
                LookupTimeout = TimeSpan.FromMilliseconds(options.ClusterLookupTimeout),
            },
            host.LoggerFactory?.CreateLogger("OpenSslTls.Cluster"));
        host.SessionStore = sessions;
        TimeSpan rotation = TimeSpan.FromSeconds(options.ClusterRotation);
        return new ClusterTicketKeys(
            ring,
            new RedisTicketKeyStoreOptions
            {
                Configuration = address,
                KeyEncryptionKey = kek,
                KeyPrefix = options.ClusterKeyPrefix,
                RotationInterval = rotation,
                Window = options.ClusterWindow,
                RefreshInterval = RefreshFor(rotation),
            },
            sessions,
            SHA256.HashData(kek));
    }

    /// <summary>SHA-256 of the key in <paramref name="path"/> now (read as at start), for comparing with <see cref="KeyFingerprint"/>.</summary>
    public static byte[] FingerprintOf(string path)
    {
        byte[] kek = RedisTicketKeyStore.ReadKeyEncryptionKey(path);
        try
        {
            return SHA256.HashData(kek);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    // A short rotation (a demo, a test) is picked up quickly: refresh at a tenth of it, between 200 ms and the default 5 s.
    private static TimeSpan RefreshFor(TimeSpan rotation) => TimeSpan.FromMilliseconds(Math.Clamp(rotation.TotalMilliseconds / 10, 200, 5000));

    /// <summary>Connects (a Redis that is down is retried in the background: the node starts with a key of its own).</summary>
    public async Task StartAsync(ILoggerFactory loggers)
    {
        _store = new RedisTicketKeyStore(_options, _ring, loggers.CreateLogger("OpenSslTls.Cluster"));
        await _store.StartAsync().ConfigureAwait(false);
        await _sessions.StartAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        await _sessions.DisposeAsync().ConfigureAwait(false);

        _ring.Dispose();
    }
}
