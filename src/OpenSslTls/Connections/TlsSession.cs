using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// A TLS session a client can offer again to resume (<c>CreateConnection</c> of <see cref="TlsProfileConnectionExtensions"/>). Owns one native
/// reference; dispose it when no longer needed. A session belongs to the server it was made with: a resumed handshake
/// checks no certificate, so it is offered only to a connection for the same server name (the SNI sent and the name
/// checked, compared without case); offering it for another name throws.
/// </summary>
public sealed class TlsSession : IDisposable
{
    internal TlsSession(SafeSslSessionHandle handle, string? serverName, string? checkedName)
    {
        Handle = handle;
        ServerName = serverName;
        CheckedName = checkedName;
    }

    internal SafeSslSessionHandle Handle { get; }

    /// <summary>The SNI name the connection that made the session sent, or null when it sent none.</summary>
    public string? ServerName { get; }

    /// <summary>
    /// The name that connection checked the server's certificate against (verify_hostname: the server name, else the
    /// IP address connected to), or null when it checked none.
    /// </summary>
    public string? CheckedName { get; }

    /// <summary>Whether this session may be offered by a connection sending <paramref name="serverName"/> and checking <paramref name="checkedName"/>.</summary>
    internal bool BelongsTo(string? serverName, string? checkedName) =>
        string.Equals(ServerName, serverName, StringComparison.OrdinalIgnoreCase)
        && string.Equals(CheckedName, checkedName, StringComparison.OrdinalIgnoreCase);

    /// <summary>Releases the session.</summary>
    public void Dispose() => Handle.Dispose();
}
