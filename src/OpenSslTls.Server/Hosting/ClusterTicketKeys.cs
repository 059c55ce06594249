using Microsoft.Extensions.Logging;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint.Cli;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// serve's <c>--cluster</c>: the module's ticket-key ring, filled from Redis by a <see cref="RedisTicketKeyStore"/>.
/// Resumption needs the server session cache, so <c>--cluster</c> turns <c>session_cache</c> on (a declared deviation:
/// Kamailio's default is off).
/// </summary>
internal sealed class ClusterTicketKeys : IAsyncDisposable
{
    private readonly TlsTicketKeyRing _ring;
    private readonly RedisTicketKeyStoreOptions _options;
    private RedisTicketKeyStore? _store;

    private ClusterTicketKeys(TlsTicketKeyRing ring, RedisTicketKeyStoreOptions options)
    {
        _ring = ring;
        _options = options;
    }

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
        return new ClusterTicketKeys(ring, new RedisTicketKeyStoreOptions { Configuration = settings.Cluster, KeyEncryptionKey = kek });
    }

    /// <summary>Connects (a Redis that is down is retried in the background: the node starts with a key of its own).</summary>
    public async Task StartAsync(ILoggerFactory loggers)
    {
        _store = new RedisTicketKeyStore(_options, _ring, loggers.CreateLogger("OpenSslTls.Cluster"));
        await _store.StartAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        _ring.Dispose();
    }
}
