using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenSslTls.Profiles;
using StackExchange.Redis;

namespace OpenSslTls.Cluster.Redis;

/// <summary>
/// A <see cref="TlsSessionStore"/> in Redis shared by the nodes of a cluster, so a TLS 1.2 client that resumes by
/// session id (no ticket) resumes on any node. Each session is stored under
/// <c>PREFIXsession:CONTEXT:ID</c> (the profile's session id context and the session id, in hex), encrypted with
/// AES-256-GCM under the cluster's key-encryption key with the prefix, context and id authenticated, and expires in
/// Redis with the session's own timeout.
/// <para>
/// A handshake waits for Redis at most <see cref="RedisSessionStoreOptions.LookupTimeout"/>, and not at all while Redis
/// is known to be down or slow (for <see cref="RedisSessionStoreOptions.RetryAfter"/> after a failure, or while
/// disconnected): the handshake is then a full one. New and removed sessions are sent without waiting. Sessions this
/// node made or fetched are also kept in memory (encrypted as stored, bounded), so they resume without Redis.
/// </para>
/// <para>
/// OpenSSL 3.0 has no way to suspend a handshake on a session lookup (BoringSSL's pending-session return has no
/// OpenSSL equivalent), so the lookup is synchronous, on the handshake's thread, bounded as above.
/// </para>
/// </summary>
public sealed class RedisSessionStore : TlsSessionStore, IAsyncDisposable
{
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private static ReadOnlySpan<byte> Magic => "oss1"u8;

    private readonly RedisSessionStoreOptions _options;
    private readonly ILogger? _logger;
    private readonly byte[] _kek;
    private readonly byte[] _associatedPrefix;
    private readonly ConcurrentDictionary<string, LocalEntry> _local = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _localOrder = new();
    private ConnectionMultiplexer? _redis;
    private long _skipUntil;
    private int _down;
    private int _refusedLogged;
    private long _storeErrors;
    private long _timeouts;
    private long _refused;
    private long _skipped;
    private long _tooLarge;
    private long _localHits;
    private long _remoteHits;

    /// <summary>A store for the options given; nothing is contacted until <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">The options are incomplete or out of range (the message names the option).</exception>
    public RedisSessionStore(RedisSessionStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger;
        _kek = GC.AllocateArray<byte>(RedisTicketKeyStoreOptions.KeyEncryptionKeyLength, pinned: true);
        options.KeyEncryptionKey.Span.CopyTo(_kek);
        _associatedPrefix = Encoding.UTF8.GetBytes("openssltls session|" + options.KeyPrefix + "|");
    }

    /// <summary>Whether Redis is connected and not in a back-off after a failure.</summary>
    public bool IsConnected => _redis is { IsConnected: true } && Volatile.Read(ref _down) == 0;

    /// <summary>Lookups, stores and removals Redis failed or refused (including timeouts).</summary>
    public override long StoreErrors => Interlocked.Read(ref _storeErrors);

    /// <summary>Lookups that Redis did not answer within the lookup timeout.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Lookups that did not ask Redis because it was down or in a back-off after a failure.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Stored sessions this node could not decrypt (another key-encryption key, or altered in Redis).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Sessions not shared because they exceeded <see cref="RedisSessionStoreOptions.MaxSessionBytes"/>.</summary>
    public long TooLarge => Interlocked.Read(ref _tooLarge);

    /// <summary>Hits answered from this node's memory.</summary>
    public long LocalHits => Interlocked.Read(ref _localHits);

    /// <summary>Hits answered by Redis (sessions another node made, or this node forgot).</summary>
    public long RemoteHits => Interlocked.Read(ref _remoteHits);

    /// <summary>The clock of the in-memory expiry and of the back-off (tests move it).</summary>
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Connects without waiting for Redis to answer (a Redis that is down is retried in the background).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_redis is not null)
        {
            throw new InvalidOperationException("the store is already started");
        }

        ConfigurationOptions configuration = ConfigurationOptions.Parse(_options.Configuration);
        configuration.AbortOnConnectFail = false;
        int timeout = (int)Math.Max(_options.LookupTimeout.TotalMilliseconds, 1000);
        configuration.ConnectTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.AsyncTimeout = timeout;
        configuration.ConnectRetry = 1;

        // Commands are never queued while disconnected: a lookup must not wait for a reconnection.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ReconnectRetryPolicy = new LinearRetry(timeout);
        _redis = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false);

        // One lookup of a key that never exists, the way a handshake makes it, so the first real one does not pay for
        // the connection's first command and the JIT (on a loaded machine that alone exceeded a 50 ms bound).
        if (_redis.IsConnected)
        {
            try
            {
                await _redis.GetDatabase().StringGetAsync(_options.KeyPrefix + "session:warm-up").WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Slow or gone already: the handshakes' own lookups find out and back off.
            }
        }
    }

    /// <summary>Closes the connection and zeroes the key-encryption key.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }

        _local.Clear();
        CryptographicOperations.ZeroMemory(_kek);
    }

    /// <inheritdoc />
    protected override void Store(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> session, TimeSpan lifetime)
    {
        if (session.Length > _options.MaxSessionBytes)
        {
            Interlocked.Increment(ref _tooLarge);
            return;
        }

        TimeSpan ttl = lifetime < _options.MaxLifetime ? lifetime : _options.MaxLifetime;
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        string key = KeyOf(sessionIdContext, sessionId);
        byte[] entry = Seal(sessionIdContext, sessionId, session);
        Remember(key, entry, ttl);
        if (Usable() is { } db)
        {
            try
            {
                db.StringSet(key, entry, ttl, flags: CommandFlags.FireAndForget);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                Failed(e);
            }
        }
    }

    /// <inheritdoc />
    protected override byte[]? Find(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId)
    {
        string key = KeyOf(sessionIdContext, sessionId);
        long now = Clock.GetTimestamp();
        if (_local.TryGetValue(key, out LocalEntry local))
        {
            if (now < local.Expires)
            {
                byte[]? opened = Open(sessionIdContext, sessionId, local.Entry);
                if (opened is not null)
                {
                    Interlocked.Increment(ref _localHits);
                    return opened;
                }
            }

            _local.TryRemove(key, out _);
        }

        if (Usable() is not { } db)
        {
            Interlocked.Increment(ref _skipped);
            return null;
        }

        Task<RedisValue> lookup;
        try
        {
            lookup = db.StringGetAsync(key);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            Failed(e);
            return null;
        }

        // The one wait of a handshake on Redis, bounded; a late answer is dropped (its exception observed).
        bool answered;
        try
        {
            answered = lookup.Wait(_options.LookupTimeout);
        }
        catch (AggregateException e)
        {
            Failed(e.InnerException ?? e);
            return null;
        }

        if (!answered)
        {
            Interlocked.Increment(ref _timeouts);
            _ = lookup.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            Failed(new TimeoutException($"no answer within {_options.LookupTimeout.TotalMilliseconds} ms"));
            return null;
        }

        Recovered();
        byte[]? stored = lookup.Result;
        if (stored is null)
        {
            return null;
        }

        byte[]? session = Open(sessionIdContext, sessionId, stored);
        if (session is null)
        {
            Interlocked.Increment(ref _refused);
            if (Interlocked.Exchange(ref _refusedLogged, 1) == 0)
            {
                _logger?.LogError("a session in {Store} does not open with this node's key-encryption key: sessions of other nodes will not resume here (check the key file)", _options.Configuration);
            }

            return null;
        }

        Interlocked.Increment(ref _remoteHits);
        return session;
    }

    /// <inheritdoc />
    protected override void Delete(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId)
    {
        string key = KeyOf(sessionIdContext, sessionId);
        _local.TryRemove(key, out _);
        if (Usable() is { } db)
        {
            try
            {
                db.KeyDelete(key, CommandFlags.FireAndForget);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                Failed(e);
            }
        }
    }

    private string KeyOf(ReadOnlySpan<byte> context, ReadOnlySpan<byte> id) =>
        string.Concat(_options.KeyPrefix, "session:", Convert.ToHexStringLower(context), ":", Convert.ToHexStringLower(id));

    // Redis when connected and not backing off after a failure; null otherwise (the caller goes on without it).
    private IDatabase? Usable()
    {
        ConnectionMultiplexer? redis = _redis;
        if (redis is null || !redis.IsConnected)
        {
            return null;
        }

        if (Volatile.Read(ref _down) != 0 && Clock.GetTimestamp() < Interlocked.Read(ref _skipUntil))
        {
            return null;
        }

        return redis.GetDatabase();
    }

    private void Failed(Exception e)
    {
        Interlocked.Increment(ref _storeErrors);
        Interlocked.Exchange(ref _skipUntil, Clock.GetTimestamp() + (long)(_options.RetryAfter.TotalSeconds * Clock.TimestampFrequency));
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            _logger?.LogWarning("session store {Configuration} failed ({Reason}); sessions resume only from memory, Redis is asked again in {RetryAfter}", _options.Configuration, e.Message, _options.RetryAfter);
        }
    }

    private void Recovered()
    {
        if (Interlocked.Exchange(ref _down, 0) != 0)
        {
            _logger?.LogInformation("session store {Configuration} answering again", _options.Configuration);
        }
    }

    private void Remember(string key, byte[] entry, TimeSpan ttl)
    {
        if (_options.LocalSessions == 0)
        {
            return;
        }

        long expires = Clock.GetTimestamp() + (long)(ttl.TotalSeconds * Clock.TimestampFrequency);
        if (_local.TryAdd(key, new LocalEntry(entry, expires)))
        {
            _localOrder.Enqueue(key);
        }
        else
        {
            _local[key] = new LocalEntry(entry, expires);
        }

        // Oldest first out, so memory stays bounded whatever the clients send.
        while (_local.Count > _options.LocalSessions && _localOrder.TryDequeue(out string? oldest))
        {
            _local.TryRemove(oldest, out _);
        }
    }

    private byte[] Seal(ReadOnlySpan<byte> context, ReadOnlySpan<byte> id, ReadOnlySpan<byte> session)
    {
        var entry = new byte[Magic.Length + NonceLength + session.Length + TagLength];
        Magic.CopyTo(entry);
        Span<byte> nonce = entry.AsSpan(Magic.Length, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_kek, TagLength);
        aes.Encrypt(nonce, session, entry.AsSpan(Magic.Length + NonceLength, session.Length), entry.AsSpan(entry.Length - TagLength), AssociatedData(context, id));
        return entry;
    }

    private byte[]? Open(ReadOnlySpan<byte> context, ReadOnlySpan<byte> id, byte[] entry)
    {
        int length = entry.Length - Magic.Length - NonceLength - TagLength;
        if (length <= 0 || !entry.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            return null;
        }

        byte[] session = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        try
        {
            using var aes = new AesGcm(_kek, TagLength);
            aes.Decrypt(entry.AsSpan(Magic.Length, NonceLength), entry.AsSpan(Magic.Length + NonceLength, length), entry.AsSpan(entry.Length - TagLength), session, AssociatedData(context, id));
            return session;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(session);
            return null;
        }
    }

    // The prefix, the profile's session id context and the session id are authenticated: an entry moved to another
    // key (another profile's context, another id) does not open.
    private byte[] AssociatedData(ReadOnlySpan<byte> context, ReadOnlySpan<byte> id) =>
        [.. _associatedPrefix, (byte)context.Length, .. context, (byte)id.Length, .. id];

    private readonly record struct LocalEntry(byte[] Entry, long Expires);
}
