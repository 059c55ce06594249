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

    [SkippableFact]
    public async Task A_non_loopback_peer_gets_no_status_page_unless_status_page_remote_is_given()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "runs the Linux build of serve");
        IPAddress? external = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(card => card.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(card => card.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(address => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(address));
        Skip.If(external is null, "this machine has no non-loopback IPv4 address to connect from");

        // Only a non-loopback listener: refused at the command line, before anything starts.
        (int exit, string output) = OpenSslTls.Tests.SipEndpoint.EndpointProcess.Run(WssServe.Wait, "serve", "--listen-wss", $"{external}:0", "--status-page");
        Assert.Equal(2, exit);
        Assert.Contains("--status-page is for loopback peers only", output, StringComparison.Ordinal);

        foreach (bool remote in (bool[])[false, true])
        {
            using WssServe serve = await WssServe.StartAsync(remote ? ["--listen-wss", $"{external}:0", "--status-page", "--status-page-remote"] : ["--listen-wss", $"{external}:0", "--status-page"]);
            int port = int.Parse(
                new System.Text.RegularExpressions.Regex($@"secure WebSocket on {System.Text.RegularExpressions.Regex.Escape(external!.ToString())}:(\d+)").Match(serve.Process.Output).Groups[1].Value,
                System.Globalization.CultureInfo.InvariantCulture);
            using var client = new HttpClient(WssHttp.PinnedHandler(serve));
            using HttpResponseMessage page = await client.GetAsync(new Uri($"https://{external}:{port}/status"));
            Assert.Equal(remote ? HttpStatusCode.OK : HttpStatusCode.NotFound, page.StatusCode);
            // The SIP WebSocket on that listener is for everyone either way (426: a plain request).
            using HttpResponseMessage sip = await client.GetAsync(new Uri($"https://{external}:{port}/"));
            Assert.Equal(HttpStatusCode.UpgradeRequired, sip.StatusCode);
            using HttpResponseMessage loopback = await client.GetAsync(new Uri($"https://127.0.0.1:{serve.Port}/status"));
            Assert.Equal(HttpStatusCode.OK, loopback.StatusCode);
        }
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
