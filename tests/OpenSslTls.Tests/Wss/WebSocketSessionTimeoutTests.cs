using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSslTls.SipEndpoint.WebSockets;

namespace OpenSslTls.Tests.Wss;

/// <summary>
/// The WebSocket layer of <c>--listen-wss</c> in-process, over plain HTTP (its TLS is the middleware's, tested with
/// the process): the idle limit, the message-read timeout and keep-alives, with short limits.
/// </summary>
public sealed class WebSocketSessionTimeoutTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_connection_without_SIP_for_the_idle_limit_is_closed_with_1001()
    {
        await using SipWebSocketServer server = await StartAsync(idle: TimeSpan.FromSeconds(1), messageRead: TimeSpan.FromSeconds(30));
        using ClientWebSocket client = await ConnectAsync(server);
        (WebSocketCloseStatus? status, string? description) = await ReceiveCloseAsync(client);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.Equal("idle timeout", description);
    }

    [Fact]
    public async Task A_message_left_unfinished_is_closed_at_the_message_read_timeout_and_keep_alives_get_a_CRLF()
    {
        await using SipWebSocketServer server = await StartAsync(idle: TimeSpan.FromSeconds(60), messageRead: TimeSpan.FromSeconds(1));
        using ClientWebSocket client = await ConnectAsync(server);
        using var limit = new CancellationTokenSource(s_wait);
        await client.SendAsync("\r\n\r\n"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, limit.Token);
        byte[] buffer = new byte[1024];
        WebSocketReceiveResult pong = await client.ReceiveAsync(buffer, limit.Token);
        Assert.Equal("\r\n", Encoding.UTF8.GetString(buffer, 0, pong.Count));

        // The first fragment of a message, and never the rest: the idle limit (60 s) alone would keep it open.
        await client.SendAsync("OPTIONS sip:a SIP/2.0\r\n"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, limit.Token);
        (WebSocketCloseStatus? status, string? description) = await ReceiveCloseAsync(client);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("SIP message read timeout", description);
    }

    private static Task<SipWebSocketServer> StartAsync(TimeSpan idle, TimeSpan messageRead) =>
        SipWebSocketServer.StartAsync(
            new SipWebSocketServerOptions { ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)], IdleTimeout = idle, MessageReadTimeout = messageRead },
            NullLoggerFactory.Instance,
            _ => { });

    private static async Task<ClientWebSocket> ConnectAsync(SipWebSocketServer server)
    {
        var client = new ClientWebSocket();
        client.Options.AddSubProtocol("sip");
        using var limit = new CancellationTokenSource(s_wait);
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.LocalEndpoints[0].Port}/"), limit.Token);
        return client;
    }

    private static async Task<(WebSocketCloseStatus?, string?)> ReceiveCloseAsync(ClientWebSocket client)
    {
        using var limit = new CancellationTokenSource(s_wait);
        byte[] buffer = new byte[1024];
        while (true)
        {
            WebSocketReceiveResult result = await client.ReceiveAsync(buffer, limit.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (result.CloseStatus, result.CloseStatusDescription);
            }
        }
    }
}
