using Microsoft.Extensions.Logging;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint.Cli;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// serve's <c>--cluster</c>: the module's ticket-key ring, filled from Redis by a <see cref="RedisTicketKeyStore"/>, and
/// its TLS 1.2 session-id cache, a <see cref="RedisSessionStore"/> on the same Redis and key-encryption key.
/// Resumption needs the server session cache, so <c>--cluster</c> turns <c>session_cache</c> on (a declared deviation:
/// Kamailio's default is off).
/// </summary>
internal sealed class ClusterTicketKeys : IAsyncDisposable
{
    private readonly TlsTicketKeyRing _ring;
    private readonly RedisTicketKeyStoreOptions _options;
    private readonly RedisSessionStore _sessions;
    private RedisTicketKeyStore? _store;

    private ClusterTicketKeys(TlsTicketKeyRing ring, RedisTicketKeyStoreOptions options, RedisSessionStore sessions)
    {
        _ring = ring;
        _options = options;
        _sessions = sessions;
    }

    /// <summary>The shared session-id cache.</summary>
    public RedisSessionStore Sessions => _sessions;

    /// <summary>The ticket-key ring.</summary>
    public TlsTicketKeyRing Ring => _ring;

    /// <summary>The store once started.</summary>
    public RedisTicketKeyStore? Store => _store;

    /// <summary>
    /// Reads the key-encryption key and gives the module a ring, or returns null without <c>--cluster</c>. Throws
    /// <see cref="IOException"/> / <see cref="InvalidDataException"/> naming the key file.
    /// </summary>
    public static ClusterTicketKeys? Prepare(ServeSettings settings, TlsModuleOptions options, TlsModuleHostOptions host, ILogger log)
    {
        if (settings.Cluster is null || settings.ClusterKeyFile is null)
        {
            return null;
        }

        byte[] kek = RedisTicketKeyStore.ReadKeyEncryptionKey(Path.GetFullPath(settings.ClusterKeyFile));
        if (!options.SessionCache)
        {
            log.LogInformation("--cluster: session_cache turned on (cluster-wide resumption needs the server session cache)");
            options.SessionCache = true;
        }

        var ring = new TlsTicketKeyRing();
        host.TicketKeys = ring;
        var sessions = new RedisSessionStore(new RedisSessionStoreOptions { Configuration = settings.Cluster, KeyEncryptionKey = kek, LookupTimeout = settings.ClusterLookupTimeout ?? TimeSpan.FromMilliseconds(100) }, host.LoggerFactory?.CreateLogger("OpenSslTls.Cluster"));
        host.SessionStore = sessions;
        return new ClusterTicketKeys(ring, new RedisTicketKeyStoreOptions { Configuration = settings.Cluster, KeyEncryptionKey = kek, RotationInterval = settings.ClusterRotation ?? TimeSpan.FromHours(12), RefreshInterval = RefreshFor(settings.ClusterRotation) }, sessions);
    }

    // A short rotation (a demo, a test) is picked up quickly: refresh at a tenth of it, between 200 ms and the default 5 s.
    private static TimeSpan RefreshFor(TimeSpan? rotation) =>
        rotation is { } r ? TimeSpan.FromMilliseconds(Math.Clamp(r.TotalMilliseconds / 10, 200, 5000)) : TimeSpan.FromSeconds(5);

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
