using System.Net;
using OpenSslTls.Errors;

namespace OpenSslTls.Connections;

/// <summary>
/// Who watches a connection: given when it is created, called around its operations. The module's connection record
/// implements it (identity, endpoints, low-memory guard, activity, events, release); a connection made straight from
/// a profile gets <see cref="NoConnectionObserver.Instance"/>, so the hot path has no "is there a module" branch.
/// </summary>
internal interface IConnectionObserver
{
    /// <summary>The connection's id, 0 when no module made it.</summary>
    long Id { get; }

    /// <summary>The local endpoint the host reported, if any.</summary>
    IPEndPoint? LocalEndPoint { get; }

    /// <summary>The remote endpoint the host reported, if any.</summary>
    IPEndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// Whether I/O may run now (under the connection's lock); false when memory is below
    /// <paramref name="thresholdKilobytes"/> (low_mem_threshold2).
    /// </summary>
    bool AllowIo(out long thresholdKilobytes);

    /// <summary>After each Receive or Send (under the connection's lock): ciphertext bytes consumed and produced.</summary>
    void OnActivity(long received, long sent);

    /// <summary>The handshake completed (outside the connection's lock).</summary>
    void OnHandshakeCompleted(TlsConnection connection);

    /// <summary>The handshake failed with <paramref name="error"/> (outside the connection's lock).</summary>
    void OnHandshakeFailed(TlsConnection connection, TlsException error);

    /// <summary>The connection was disposed; may be called more than once, the observer acts once.</summary>
    void OnReleased(TlsConnection connection);
}
