using OpenSslTls.Interop;

namespace OpenSslTls.Profiles;

/// <summary>
/// The session-ticket keys a module's server contexts share, instead of OpenSSL's random keys per context: a window of
/// keys, newest first, where the newest seals new tickets and the older ones only open tickets (a ticket opened with an
/// older key is replaced by one under the newest). Profiles built with the same ring (every profile of a module and
/// every reload of it, and every node of a cluster whose store fills the ring) resume each other's tickets, TLS 1.2 and
/// TLS 1.3 alike. Thread-safe; a handshake never waits for a rotation.
/// </summary>
public sealed class TlsTicketKeyRing : ITicketKeyProvider, IDisposable
{
    /// <summary>Keys kept unless told otherwise: the one that seals and two that still open (HAProxy's and nginx's usual three).</summary>
    public const int DefaultWindow = 3;

    private readonly Lock _gate = new();
    private TlsTicketKey[] _keys = [];
    private long _generation;
    private long _sealed;
    private long _opened;
    private long _renewed;
    private long _unknown;
    private long _storeErrors;
    private bool _disposed;

    /// <summary>A ring of up to <paramref name="window"/> keys, empty until <see cref="Rotate"/> or <see cref="Replace"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="window"/> is below 1.</exception>
    public TlsTicketKeyRing(int window = DefaultWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        Window = window;
    }

    /// <summary>How many keys the ring keeps (the newest seals, the rest only open).</summary>
    public int Window { get; }

    /// <summary>Counts every change of the key set: a node sees a rotation by comparing it.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The names of the keys held, newest first (hex; names are in every ticket in clear, so safe to show).</summary>
    public IReadOnlyList<string> KeyNames => Array.ConvertAll(Volatile.Read(ref _keys), key => key.Name);

    /// <summary>When the key that seals now was made, or null while the ring is empty.</summary>
    public DateTimeOffset? CurrentKeyCreated => Volatile.Read(ref _keys) is [var newest, ..] ? newest.Created : null;

    /// <summary>Tickets sealed with the newest key.</summary>
    public long TicketsSealed => Interlocked.Read(ref _sealed);

    /// <summary>Tickets opened with the newest key.</summary>
    public long TicketsOpened => Interlocked.Read(ref _opened);

    /// <summary>Tickets opened with an older key of the window (and replaced by one under the newest).</summary>
    public long TicketsRenewed => Interlocked.Read(ref _renewed);

    /// <summary>Tickets naming a key the ring does not hold (expired from the window, or from another cluster): full handshakes.</summary>
    public long TicketsUnknown => Interlocked.Read(ref _unknown);

    /// <summary>Failed refreshes of the store that fills the ring (<see cref="CountStoreError"/>), for the module's counters.</summary>
    public long StoreErrors => Interlocked.Read(ref _storeErrors);

    /// <summary>Counts a failed refresh of whatever fills the ring (a cluster store), so <c>tls.info</c> and the metrics show it.</summary>
    public void CountStoreError() => Interlocked.Increment(ref _storeErrors);

    /// <summary>Makes a new key (OpenSSL's private DRBG) the one that seals; the oldest beyond the window is zeroed.</summary>
    /// <returns>The new key's name.</returns>
    public string Rotate()
    {
        TlsTicketKey key = TlsTicketKey.Generate();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Install([key, .. _keys]);
        }

        return key.Name;
    }

    /// <summary>
    /// Replaces the keys with <paramref name="newestFirst"/> (a cluster store's window): the ring owns them from here
    /// and zeroes those it drops. Keys already held under the same name are kept and the duplicates disposed, so a
    /// store that hands the same window again changes nothing.
    /// </summary>
    /// <returns>Whether the key set changed.</returns>
    public bool Replace(IEnumerable<TlsTicketKey> newestFirst)
    {
        ArgumentNullException.ThrowIfNull(newestFirst);
        TlsTicketKey[] given = [.. newestFirst];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var next = new List<TlsTicketKey>(Math.Min(given.Length, Window));
            foreach (TlsTicketKey key in given)
            {
                TlsTicketKey? held = Array.Find(_keys, k => k.Name == key.Name);
                TlsTicketKey chosen = held ?? key;
                if (next.Count < Window && !next.Exists(k => k.Name == key.Name))
                {
                    next.Add(chosen);
                }

                if (!ReferenceEquals(chosen, key) || !next.Contains(key))
                {
                    key.Dispose();
                }
            }

            if (next.Count == _keys.Length && next.SequenceEqual(_keys))
            {
                return false;
            }

            Install([.. next]);
            return true;
        }
    }

    /// <summary>Zeroes every key; tickets are then neither sealed nor opened (full handshakes).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            TlsTicketKey[] keys = _keys;
            Volatile.Write(ref _keys, []);
            foreach (TlsTicketKey key in keys)
            {
                key.Dispose();
            }
        }
    }

    bool ITicketKeyProvider.TryGetEncryptionKey(Span<byte> name, Span<byte> hmacSecret, Span<byte> aesKey)
    {
        if (Volatile.Read(ref _keys) is [var newest, ..] && newest.TryCopy(name, hmacSecret, aesKey))
        {
            Interlocked.Increment(ref _sealed);
            return true;
        }

        return false;
    }

    TicketKeyMatch ITicketKeyProvider.FindDecryptionKey(ReadOnlySpan<byte> name, Span<byte> hmacSecret, Span<byte> aesKey)
    {
        TlsTicketKey[] keys = Volatile.Read(ref _keys);
        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i].HasName(name) && keys[i].TryCopy(default, hmacSecret, aesKey))
            {
                Interlocked.Increment(ref i == 0 ? ref _opened : ref _renewed);
                return i == 0 ? TicketKeyMatch.Current : TicketKeyMatch.Older;
            }
        }

        Interlocked.Increment(ref _unknown);
        return TicketKeyMatch.None;
    }

    // Under _gate: publishes the first Window keys and zeroes the rest.
    private void Install(TlsTicketKey[] keys)
    {
        TlsTicketKey[] kept = keys.Length > Window ? keys[..Window] : keys;
        TlsTicketKey[] previous = _keys;
        Volatile.Write(ref _keys, kept);
        Interlocked.Increment(ref _generation);
        foreach (TlsTicketKey old in previous)
        {
            if (Array.IndexOf(kept, old) < 0)
            {
                old.Dispose();
            }
        }

        foreach (TlsTicketKey dropped in keys.AsSpan(kept.Length))
        {
            if (Array.IndexOf(previous, dropped) < 0)
            {
                dropped.Dispose();
            }
        }
    }
}
