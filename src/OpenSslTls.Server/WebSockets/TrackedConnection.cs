using System.Net;
using Microsoft.AspNetCore.Connections;
using OpenSslTls.AspNetCore;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// One connection of the WebSocket listener as the server tracks it, kept as a connection feature so the HTTP request
/// on it finds its TLS facts (<see cref="IOpenSslTlsFeature"/>: the module's id, the profile, the session).
/// </summary>
internal sealed class TrackedConnection(long id, ConnectionContext context, IOpenSslTlsFeature? tls)
{
    /// <summary>The module's connection id when TLS is under it (as in tls.list), else the listener's own.</summary>
    public long Id { get; } = id;

    public IOpenSslTlsFeature? Tls { get; } = tls;

    public EndPoint? Remote { get; } = context.RemoteEndPoint;

    /// <summary>Drops the connection at once (no closing handshake).</summary>
    public void Abort() => context.Abort(new ConnectionAbortedException("closed by the TLS module"));
}
