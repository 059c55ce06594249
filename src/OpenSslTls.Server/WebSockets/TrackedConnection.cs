using System.Net;
using Microsoft.AspNetCore.Connections;
using OpenSslTls.Connections;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// One connection of the WebSocket listener as the server tracks it, kept as a connection feature so the HTTP request
/// on it finds its TLS connection: a module kill or expiry of that TLS connection aborts it.
/// </summary>
internal sealed class TrackedConnection(long id, ConnectionContext context, TlsConnection? tls)
{
    public long Id { get; } = id;

    public TlsConnection? Tls { get; } = tls;

    public EndPoint? Remote { get; } = context.RemoteEndPoint;

    public EndPoint? Local { get; } = context.LocalEndPoint;

    /// <summary>Drops the connection at once (no closing handshake): what tls.kill asks for.</summary>
    public void Abort() => context.Abort(new ConnectionAbortedException("closed by the TLS module"));
}
