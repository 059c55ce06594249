using OpenSslTls.Interop;

namespace OpenSslTls.Profiles;

/// <summary>
/// A cache of TLS 1.2 sessions by session id that server profiles use instead of OpenSSL's internal one (per
/// <c>SSL_CTX</c>, lost at every reload), so that nodes sharing a store (a cluster's Redis) resume each other's session
/// ids; TLS 1.3 and tickets do not use it (see <see cref="TlsTicketKeyRing"/>). A session is handed over as OpenSSL's
/// DER encoding, which holds the session's master secret: an implementation must keep it encrypted outside the
/// process. The methods run inside a handshake: they must return within a short bound (a store that is slow or down
/// answers "not found" at once) and should not throw (an exception fails that handshake).
/// </summary>
public abstract class TlsSessionStore : ISessionCacheProvider
{
    private long _hits;
    private long _misses;
    private long _added;
    private long _removed;

    /// <summary>Session ids offered by clients that the store returned a session for.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Session ids offered by clients that the store did not know (or could not answer for in time).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>New sessions given to the store.</summary>
    public long Added => Interlocked.Read(ref _added);

    /// <summary>Sessions OpenSSL invalidated (expired when offered, or ended by a fatal alert).</summary>
    public long Removed => Interlocked.Read(ref _removed);

    /// <summary>Operations the store behind failed or gave up on (its own count; 0 for a store that cannot fail).</summary>
    public virtual long StoreErrors => 0;

    /// <summary>
    /// Keeps <paramref name="session"/> (DER; the span is zeroed after the call, copy what is kept) for
    /// <paramref name="lifetime"/>, under the profile's <paramref name="sessionIdContext"/> and its
    /// <paramref name="sessionId"/>. Must not wait for a remote store.
    /// </summary>
    protected abstract void Store(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> session, TimeSpan lifetime);

    /// <summary>
    /// The DER session kept under the context and id, or null. May wait for a remote store, but only up to a short
    /// bound. The array returned is zeroed by the caller after decoding.
    /// </summary>
    protected abstract byte[]? Find(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId);

    /// <summary>Forgets the session under the context and id (OpenSSL no longer resumes it). Must not wait for a remote store.</summary>
    protected abstract void Delete(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId);

    void ISessionCacheProvider.Add(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> session, TimeSpan lifetime)
    {
        Interlocked.Increment(ref _added);
        Store(sessionIdContext, sessionId, session, lifetime);
    }

    byte[]? ISessionCacheProvider.Find(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId)
    {
        byte[]? session = Find(sessionIdContext, sessionId);
        Interlocked.Increment(ref session is null ? ref _misses : ref _hits);
        return session;
    }

    void ISessionCacheProvider.Remove(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId)
    {
        Interlocked.Increment(ref _removed);
        Delete(sessionIdContext, sessionId);
    }
}
