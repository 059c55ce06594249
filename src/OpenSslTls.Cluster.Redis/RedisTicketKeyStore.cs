using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenSslTls.Profiles;
using StackExchange.Redis;

namespace OpenSslTls.Cluster.Redis;

/// <summary>
/// Keeps a <see cref="TlsTicketKeyRing"/> filled with the session-ticket keys of a cluster, shared through Redis, so a
/// client that resumes on any node finds its ticket's key there. Keys are made with OpenSSL's private DRBG by one node
/// at a time (the one that takes a short lease when the newest key is older than
/// <see cref="RedisTicketKeyStoreOptions.RotationInterval"/>), stored wrapped with AES-256-GCM under the key-encryption
/// key of the nodes' configuration, and read by every node every <see cref="RedisTicketKeyStoreOptions.RefreshInterval"/>.
/// Ages are measured on Redis's clock, so clock skew between nodes does not move rotations.
/// <para>
/// Handshakes never wait for Redis: they use the ring in memory. Until the first keys arrive (Redis down at start) the
/// ring holds a key of this node's own, so tickets keep working on this node; when Redis fails later the last keys are
/// kept; either way the store retries by itself and takes the cluster's keys again when Redis answers.
/// </para>
/// </summary>
public sealed class RedisTicketKeyStore : IAsyncDisposable
{
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private const int HeaderLength = 4 + 8; // magic, created (unix ms)
    private const int EntryLength = HeaderLength + NonceLength + TlsTicketKey.SerializedLength + TagLength;
    private static ReadOnlySpan<byte> Magic => "otk1"u8;

    private readonly RedisTicketKeyStoreOptions _options;
    private readonly TlsTicketKeyRing _ring;
    private readonly ILogger? _logger;
    private readonly byte[] _kek;
    private readonly RedisKey _listKey;
    private readonly RedisKey _leaseKey;
    private readonly byte[] _associatedData;
    private readonly CancellationTokenSource _stop = new();
    private ConnectionMultiplexer? _redis;
    private Task? _loop;
    private bool _storeDown;
    private int _lastRefusedLogged = -1;
    private long _storeErrors;
    private long _keysRefused;
    private long _rotations;
    private long _refreshes;

    /// <summary>
    /// A store for <paramref name="ring"/> (which the caller owns and gives to the module's
    /// <c>TlsModuleHostOptions.TicketKeys</c>). Nothing is contacted until <see cref="StartAsync"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The options are incomplete or out of range (the message names the option).</exception>
    public RedisTicketKeyStore(RedisTicketKeyStoreOptions options, TlsTicketKeyRing ring, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ring);
        options.Validate();
        _options = options;
        _ring = ring;
        _logger = logger;
        _kek = GC.AllocateArray<byte>(RedisTicketKeyStoreOptions.KeyEncryptionKeyLength, pinned: true);
        options.KeyEncryptionKey.Span.CopyTo(_kek);
        _listKey = options.KeyPrefix + "ticket-keys";
        _leaseKey = options.KeyPrefix + "ticket-keys:rotation-lease";
        _associatedData = Encoding.UTF8.GetBytes("openssltls ticket key|" + options.KeyPrefix);
    }

    /// <summary>Whether the last refresh reached Redis.</summary>
    public bool IsConnected => !_storeDown && _redis is { IsConnected: true };

    /// <summary>Refreshes that failed (Redis down, slow beyond the operation timeout, or refusing).</summary>
    public long StoreErrors => Interlocked.Read(ref _storeErrors);

    /// <summary>Stored keys this node could not unwrap (another key-encryption key, or altered in Redis).</summary>
    public long KeysRefused => Interlocked.Read(ref _keysRefused);

    /// <summary>Keys this node made and stored (it held the rotation lease).</summary>
    public long Rotations => Interlocked.Read(ref _rotations);

    /// <summary>Refreshes that completed.</summary>
    public long Refreshes => Interlocked.Read(ref _refreshes);

    /// <summary>
    /// Reads a key-encryption key file: exactly 32 bytes, or their 64 hexadecimal digits or base64 on one line.
    /// </summary>
    /// <exception cref="InvalidDataException">The file holds anything else (the message names the file, not the content).</exception>
    public static byte[] ReadKeyEncryptionKey(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        try
        {
            if (raw.Length == RedisTicketKeyStoreOptions.KeyEncryptionKeyLength)
            {
                return [.. raw];
            }

            string text = Encoding.ASCII.GetString(raw).Trim();
            byte[]? decoded = null;
            if (text.Length == 2 * RedisTicketKeyStoreOptions.KeyEncryptionKeyLength && text.All(Uri.IsHexDigit))
            {
                decoded = Convert.FromHexString(text);
            }
            else
            {
                var buffer = new byte[RedisTicketKeyStoreOptions.KeyEncryptionKeyLength + 3];
                if (Convert.TryFromBase64String(text, buffer, out int written) && written == RedisTicketKeyStoreOptions.KeyEncryptionKeyLength)
                {
                    decoded = buffer[..written];
                }

                CryptographicOperations.ZeroMemory(buffer);
            }

            return decoded ?? throw new InvalidDataException(
                $"{path}: a key-encryption key is {RedisTicketKeyStoreOptions.KeyEncryptionKeyLength} bytes, or their hex digits or base64 on one line");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary>
    /// Gives the ring a key of this node's own if it has none, connects (without waiting for Redis to answer: a down
    /// Redis is retried in the background), makes one refresh bounded by the operation timeout, and starts refreshing.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("the store is already started");
        }

        if (_ring.KeyNames.Count == 0)
        {
            _ring.Rotate();
        }

        ConfigurationOptions configuration = ConfigurationOptions.Parse(_options.Configuration);
        configuration.AbortOnConnectFail = false;
        int timeout = (int)_options.OperationTimeout.TotalMilliseconds;
        configuration.ConnectTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.AsyncTimeout = timeout;
        configuration.ConnectRetry = 1;

        // Reconnect at a steady pace (not an exponential back-off): a Redis that is back is used within about a second.
        configuration.ReconnectRetryPolicy = new LinearRetry(timeout);
        _redis = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>
    /// Reads the cluster's keys into the ring, and makes the next key when the newest is due and this node takes the
    /// lease. Failures are counted and logged once per outage, never thrown: the ring keeps what it has.
    /// </summary>
    /// <returns>Whether Redis answered.</returns>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            IDatabase db = (_redis ?? throw new InvalidOperationException("the store is not started")).GetDatabase();
            DateTimeOffset now = await ServerTimeAsync(db, cancellationToken).ConfigureAwait(false);
            List<TlsTicketKey> keys = await ReadKeysAsync(db, cancellationToken).ConfigureAwait(false);
            bool due = keys.Count == 0 || now - keys[0].Created >= _options.RotationInterval;
            if (due && keys.Count == 0 && KeysRefusedThisRound > 0)
            {
                // Every stored key was refused: this node has the wrong key-encryption key. Making a key here would
                // push the cluster's keys out of the window; keep this node's own key until the configuration is fixed.
                due = false;
            }

            if (due && await TakeLeaseAsync(db, cancellationToken).ConfigureAwait(false))
            {
                await StoreNewKeyAsync(db, now, cancellationToken).ConfigureAwait(false);
                foreach (TlsTicketKey key in keys)
                {
                    key.Dispose();
                }

                keys = await ReadKeysAsync(db, cancellationToken).ConfigureAwait(false);
            }

            if (keys.Count > 0)
            {
                _ring.Replace(SealingOrder(keys, now));
            }

            Interlocked.Increment(ref _refreshes);
            if (_storeDown)
            {
                _storeDown = false;
                _logger?.LogInformation("ticket key store {Configuration} reachable again; {Count} cluster keys held", _options.Configuration, keys.Count);
            }

            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _storeErrors);
            _ring.CountStoreError();
            if (!_storeDown)
            {
                _storeDown = true;
                _logger?.LogWarning("ticket key store {Configuration} unreachable ({Reason}); keeping the {Count} keys held, retrying every {Interval}", _options.Configuration, e.Message, _ring.KeyNames.Count, _options.RefreshInterval);
            }

            return false;
        }
    }

    /// <summary>Stops refreshing and closes the connection; the ring keeps its keys.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        CryptographicOperations.ZeroMemory(_kek);
    }

    private int KeysRefusedThisRound { get; set; }

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                await RefreshAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    // A key just made is not known yet to the nodes that have not refreshed since: a ticket it sealed would be a full
    // handshake there. So it only opens tickets until every node has had time to read it (two refresh intervals, at
    // most half the rotation interval); meanwhile the previous key keeps sealing. Ages are on Redis's clock.
    private List<TlsTicketKey> SealingOrder(List<TlsTicketKey> newestFirst, DateTimeOffset now)
    {
        if (newestFirst.Count < 2 || now - newestFirst[0].Created >= _options.ActivationDelay)
        {
            return newestFirst;
        }

        return [newestFirst[1], newestFirst[0], .. newestFirst.Skip(2)];
    }

    private Task<T> Bounded<T>(Task<T> operation, CancellationToken cancellationToken) =>
        operation.WaitAsync(_options.OperationTimeout, cancellationToken);

    private async Task<DateTimeOffset> ServerTimeAsync(IDatabase db, CancellationToken cancellationToken)
    {
        RedisResult result = await Bounded(db.ExecuteAsync("TIME"), cancellationToken).ConfigureAwait(false);
        var parts = (RedisResult[]?)result ?? throw new RedisException("TIME answered nothing");
        long seconds = (long)parts[0];
        long micros = (long)parts[1];
        return DateTimeOffset.FromUnixTimeMilliseconds((seconds * 1000) + (micros / 1000));
    }

    private async Task<List<TlsTicketKey>> ReadKeysAsync(IDatabase db, CancellationToken cancellationToken)
    {
        RedisValue[] entries = await Bounded(db.ListRangeAsync(_listKey, 0, _options.Window - 1), cancellationToken).ConfigureAwait(false);
        var keys = new List<TlsTicketKey>(entries.Length);
        int refused = 0;
        foreach (RedisValue entry in entries)
        {
            if (Unwrap((byte[]?)entry) is { } key)
            {
                keys.Add(key);
            }
            else
            {
                refused++;
            }
        }

        KeysRefusedThisRound = refused;
        if (refused > 0)
        {
            Interlocked.Add(ref _keysRefused, refused);
            if (refused != _lastRefusedLogged)
            {
                _lastRefusedLogged = refused;
                _logger?.LogError("{Refused} of the {Count} ticket keys in {Store} do not open with this node's key-encryption key: tickets of other nodes will not resume here (check the key file)", refused, entries.Length, _listKey);
            }
        }
        else
        {
            _lastRefusedLogged = -1;
        }

        return keys;
    }

    private async Task<bool> TakeLeaseAsync(IDatabase db, CancellationToken cancellationToken)
    {
        // Long enough that nodes reading a moment later see the new key before the lease could be taken again.
        TimeSpan lease = TimeSpan.FromTicks(Math.Max(_options.RefreshInterval.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        lease = lease < _options.RotationInterval ? lease : _options.RotationInterval;
        return await Bounded(db.StringSetAsync(_leaseKey, _options.NodeName, lease, When.NotExists), cancellationToken).ConfigureAwait(false);
    }

    private async Task StoreNewKeyAsync(IDatabase db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using TlsTicketKey key = TlsTicketKey.Generate(now);
        byte[] entry = Wrap(key);
        ITransaction transaction = db.CreateTransaction();
        _ = transaction.ListLeftPushAsync(_listKey, entry);
        _ = transaction.ListTrimAsync(_listKey, 0, _options.Window - 1);
        if (!await Bounded(transaction.ExecuteAsync(), cancellationToken).ConfigureAwait(false))
        {
            throw new RedisException("storing the new ticket key was not executed");
        }

        Interlocked.Increment(ref _rotations);
        _logger?.LogInformation("made ticket key {Name} for the cluster ({Store}, window {Window})", key.Name, _listKey, _options.Window);
    }

    private byte[] Wrap(TlsTicketKey key)
    {
        var entry = new byte[EntryLength];
        Span<byte> plain = stackalloc byte[TlsTicketKey.SerializedLength];
        try
        {
            key.CopyTo(plain);
            Magic.CopyTo(entry);
            BinaryPrimitives.WriteInt64BigEndian(entry.AsSpan(4), key.Created.ToUnixTimeMilliseconds());
            Span<byte> nonce = entry.AsSpan(HeaderLength, NonceLength);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(_kek, TagLength);
            aes.Encrypt(nonce, plain, entry.AsSpan(HeaderLength + NonceLength, TlsTicketKey.SerializedLength), entry.AsSpan(EntryLength - TagLength), AssociatedData(entry));
            return entry;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private TlsTicketKey? Unwrap(byte[]? entry)
    {
        if (entry is not { Length: EntryLength } || !entry.AsSpan(0, 4).SequenceEqual(Magic))
        {
            return null;
        }

        Span<byte> plain = stackalloc byte[TlsTicketKey.SerializedLength];
        try
        {
            using var aes = new AesGcm(_kek, TagLength);
            aes.Decrypt(entry.AsSpan(HeaderLength, NonceLength), entry.AsSpan(HeaderLength + NonceLength, TlsTicketKey.SerializedLength), entry.AsSpan(EntryLength - TagLength), plain, AssociatedData(entry));
            return TlsTicketKey.FromBytes(plain, DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(entry.AsSpan(4))));
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    // The prefix and the entry's header (magic, creation time) are authenticated: neither can be moved or altered.
    private byte[] AssociatedData(byte[] entry) => [.. _associatedData, .. entry.AsSpan(0, HeaderLength)];
}
