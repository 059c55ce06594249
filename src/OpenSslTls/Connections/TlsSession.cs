using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// A TLS session a client can offer again to resume (<c>CreateConnection</c> of <see cref="TlsProfileConnectionExtensions"/>). Owns one native
/// reference; dispose it when no longer needed.
/// </summary>
public sealed class TlsSession : IDisposable
{
    internal TlsSession(SafeSslSessionHandle handle) => Handle = handle;

    internal SafeSslSessionHandle Handle { get; }

    /// <summary>Releases the session.</summary>
    public void Dispose() => Handle.Dispose();
}
