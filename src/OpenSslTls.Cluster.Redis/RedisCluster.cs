using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSslTls.Configuration;
using OpenSslTls.Profiles;

namespace OpenSslTls.Cluster.Redis;

/// <summary>
/// The cluster store of a host (<c>AddOpenSslTlsRedisCluster</c>): the ticket-key ring and session-id cache the module
/// uses, and the <see cref="RedisTicketKeyStore"/> that fills the ring. Made when the module is (from validated
/// options); the ring and the session store outlive the module (the container disposes this after it).
/// </summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    /// <summary>The log category of the stores (as serve's <c>--cluster</c>).</summary>
    internal const string LogCategory = "OpenSslTls.Cluster";

    private readonly TlsTicketKeyRing _ring = new();
    private readonly RedisTicketKeyStore _keys;
    private readonly RedisSessionStore _sessions;
    private int _disposed;
    private int _keysStopped;

    public RedisCluster(IOptions<RedisClusterOptions> options, ILoggerFactory? loggers = null)
    {
        RedisClusterOptions o = options.Value;
        string address = TlsClusterAddress.Parse(o.Address) ?? throw new InvalidOperationException($"{o.KeyName("Address")}: '{o.Address}': expected {TlsClusterAddress.Expected}");
        byte[] kek = RedisTicketKeyStore.ReadKeyEncryptionKey(Path.GetFullPath(o.KeyFile ?? ""));
        try
        {
            ILogger? logger = loggers?.CreateLogger(LogCategory);
            _sessions = new RedisSessionStore(new RedisSessionStoreOptions { Configuration = address, KeyEncryptionKey = kek.ToArray(), KeyPrefix = o.KeyPrefix, LookupTimeout = o.LookupTimeout }, logger);
            _keys = new RedisTicketKeyStore(
                new RedisTicketKeyStoreOptions
                {
                    Configuration = address,
                    KeyEncryptionKey = kek.ToArray(),
                    KeyPrefix = o.KeyPrefix,
                    RotationInterval = o.RotationInterval,
                    Window = o.Window,
                    RefreshInterval = RefreshFor(o.RotationInterval),
                },
                _ring,
                logger);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    public TlsTicketKeyRing Ring => _ring;

    public RedisSessionStore Sessions => _sessions;

    public RedisTicketKeyStore TicketKeys => _keys;

    // As serve: a short rotation (a test, a demo) is picked up quickly — refresh at a tenth of it, 200 ms to 5 s.
    private static TimeSpan RefreshFor(TimeSpan rotation) => TimeSpan.FromMilliseconds(Math.Clamp(rotation.TotalMilliseconds / 10, 200, 5000));

    /// <summary>Connects both stores (a Redis that is down is retried in the background: the node starts with a key of its own).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _keys.StartAsync(cancellationToken).ConfigureAwait(false);
        await _sessions.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the rotation and refreshes (once); the keys in the ring keep sealing and opening until the module goes.</summary>
    public async Task StopTicketKeysAsync()
    {
        if (Interlocked.Exchange(ref _keysStopped, 1) == 0)
        {
            await _keys.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopTicketKeysAsync().ConfigureAwait(false);
        await _sessions.DisposeAsync().ConfigureAwait(false);
        _ring.Dispose();
    }
}
