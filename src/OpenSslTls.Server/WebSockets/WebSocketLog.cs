using System.Net;
using Microsoft.Extensions.Logging;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>The WebSocket listener's own log messages (connection events shared with the TLS listener are in <c>ServerLog</c>).</summary>
internal static partial class WebSocketLog
{
    [LoggerMessage(301, LogLevel.Information, "listening for SIP over secure WebSocket on {Endpoint}")]
    public static partial void Listening(ILogger logger, IPEndPoint endpoint);

    [LoggerMessage(302, LogLevel.Information, "status page on {Path} of the WebSocket listener, for {Peers}")]
    public static partial void StatusPage(ILogger logger, string path, string peers);

    [LoggerMessage(303, LogLevel.Information, "refused a WebSocket upgrade from {Remote}: subprotocols offered: {Offered}, 'sip' required")]
    public static partial void SubprotocolRefused(ILogger logger, IPAddress? remote, string offered);

    [LoggerMessage(304, LogLevel.Debug, "connection {ConnectionId} from {Remote}: WebSocket 'sip' on {Path}")]
    public static partial void Upgraded(ILogger logger, long connectionId, EndPoint? remote, string path);

    [LoggerMessage(305, LogLevel.Information, "status page refused to {Remote}: not a loopback peer (--status-page-remote allows others)")]
    public static partial void StatusPageRefused(ILogger logger, IPAddress? remote);
}
