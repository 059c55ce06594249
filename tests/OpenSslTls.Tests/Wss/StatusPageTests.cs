using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace OpenSslTls.Tests.Wss;

/// <summary><c>serve --listen-wss … --status-page</c>: the operators' page on the same HTTPS listener, and its live view.</summary>
public sealed class StatusPageTests
{
    [SkippableFact]
    public async Task The_status_page_comes_back_on_loopback_with_its_script_and_a_strict_policy()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "runs the Linux build of serve");
        using WssServe serve = await WssServe.StartAsync("--status-page");
        using var client = new HttpClient(WssHttp.PinnedHandler(serve));
        using HttpResponseMessage page = await client.GetAsync(new Uri($"https://127.0.0.1:{serve.Port}/status"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/status/status.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"sip-status\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal); // no external asset
        Assert.Contains("default-src 'none'", string.Join(";", page.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);

        string script = await client.GetStringAsync(new Uri($"https://127.0.0.1:{serve.Port}/status/status.js"));
        Assert.Contains("openssltls.status", script, StringComparison.Ordinal);

        // Read-only: nothing but GET and HEAD.
        using HttpResponseMessage post = await client.PostAsync(new Uri($"https://127.0.0.1:{serve.Port}/status"), new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [SkippableFact]
    public async Task Without_the_flag_there_is_no_status_page()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "runs the Linux build of serve");
        using WssServe serve = await WssServe.StartAsync();
        using var client = new HttpClient(WssHttp.PinnedHandler(serve));
        using HttpResponseMessage page = await client.GetAsync(new Uri($"https://127.0.0.1:{serve.Port}/status"));
        Assert.NotEqual(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("status page on", serve.Process.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_live_view_pushes_tls_info_tls_list_listeners_and_metrics_and_refuses_the_sip_subprotocol()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "runs the Linux build of serve");
        using WssServe serve = await WssServe.StartAsync("--status-page");
        using ClientWebSocket live = await WssHttp.ConnectAsync(serve, "/status", "openssltls.status");
        Assert.Equal("openssltls.status", live.SubProtocol);
        JsonElement first = await ReceiveJsonAsync(live);
        JsonElement second = await ReceiveJsonAsync(live); // pushed again without being asked
        Assert.NotEqual(first.GetProperty("time").GetString(), second.GetProperty("time").GetString());

        // This very connection is a TLS connection of the module: it is in tls.list and counted by tls.info.
        Assert.True(second.GetProperty("info").GetProperty("opened_connections").GetInt32() >= 1);
        Assert.Contains(second.GetProperty("list").EnumerateArray(), row => row.GetProperty("destination").GetString() == $"127.0.0.1:{serve.Port}");
        Assert.Contains(second.GetProperty("listeners").EnumerateArray(), row => row.GetProperty("listener").GetString() == "wss" && row.GetProperty("connections").GetInt32() >= 1);
        JsonElement handshakes = second.GetProperty("metrics").EnumerateArray().First(series => series.GetProperty("name").GetString() == "openssltls.tls_handshake.duration");
        Assert.True(handshakes.GetProperty("count").GetInt64() >= 1);
        await live.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        // The page's WebSocket is not a SIP one.
        var wrong = new ClientWebSocket();
        wrong.Options.AddSubProtocol("sip");
        await Assert.ThrowsAnyAsync<WebSocketException>(async () =>
        {
            using ClientWebSocket socket = await WssHttp.ConnectAsync(serve, "/status", "sip");
        });
        wrong.Dispose();
    }

    private static async Task<JsonElement> ReceiveJsonAsync(ClientWebSocket socket)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[64 * 1024];
        using var limit = new CancellationTokenSource(WssServe.Wait);
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, limit.Token);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(text.ToString()).RootElement.Clone();
            }
        }
    }
}
