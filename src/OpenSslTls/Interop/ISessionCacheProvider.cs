namespace OpenSslTls.Interop;

/// <summary>
/// A server context's external cache of TLS 1.2 sessions by session id (<see cref="SessionCacheCallback"/>), which
/// replaces OpenSSL's internal one so that contexts sharing a provider (every node of a cluster) resume each other's
/// session ids. Sessions arrive and leave as OpenSSL's DER encoding (<c>i2d_SSL_SESSION</c>), which holds the master
/// secret: the provider must keep it confidential. Called on the handshake's thread inside OpenSSL; every call must
/// return within a short bound and must not throw for a store that is down (only a bug may throw: it fails the handshake).
/// </summary>
internal interface ISessionCacheProvider
{
    /// <summary>Keeps a new session under its context and id for <paramref name="lifetime"/> (its own timeout).</summary>
    void Add(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> session, TimeSpan lifetime);

    /// <summary>The DER session kept under the context and id, or null (a full handshake follows).</summary>
    byte[]? Find(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId);

    /// <summary>Forgets a session OpenSSL no longer resumes (expired, or its connection ended with a fatal alert).</summary>
    void Remove(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId);
}
