using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenSslTls.Tests.SipEndpoint;

namespace OpenSslTls.Tests.Wss;

/// <summary>
/// <c>serve --listen-wss</c> with a real WebSocket client that is not ours (Python's websockets over wss, trusting the
/// test's certificate only): SIP over secure WebSocket (RFC 7118) answered as over TLS.
/// </summary>
public sealed class WssSipTests
{
    private const string Tls13 = "TLSv1.3";

    [SkippableFact]
    public async Task OPTIONS_over_wss_gets_200_with_the_Via_received_rport_and_a_To_tag_twice_on_one_connection()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "runs the Linux build of serve and /usr/bin/python3");
        PythonWebSocketClient.Require();
        using WssServe serve = await WssServe.StartAsync();
        IReadOnlyList<JsonElement> lines = PythonWebSocketClient.Run(serve, "exchange");

        Assert.Equal("sip", lines[0].GetProperty("subprotocol").GetString());
        int localPort = lines[0].GetProperty("local_port").GetInt32();
        for (int number = 1; number <= 2; number++)
        {
            JsonElement reply = lines[number];
            // Answered in the frame type it came in: the first as text, the second (no Content-Length) as binary.
            Assert.Equal(number == 2, reply.GetProperty("binary").GetBoolean());
            string[] headers = reply.GetProperty("reply").GetString()!.Split("\r\n");
            Assert.Equal("SIP/2.0 200 OK", headers[0]);
            Assert.Contains($"Via: SIP/2.0/WSS py{number}.invalid;branch=z9hG4bKpy{number};rport={localPort};received=127.0.0.1", headers);
            Assert.Contains(headers, header => Regex.IsMatch(header, @"^To: <sip:127\.0\.0\.1>;tag=[0-9a-f]+$"));
            Assert.Contains($"From: <sip:python@py.invalid>;tag=py{number}", headers);
            Assert.Contains($"Call-ID: python-call-{number}", headers);
            Assert.Contains($"CSeq: {number} OPTIONS", headers);
            Assert.Contains("Content-Length: 0", headers);
        }

        Assert.Equal(1000, lines[3].GetProperty("closed").GetInt32());
        // The TLS under it is the module's: the connection was logged with its TLS facts like the TLS listener's.
        await serve.Process.WaitForAsync(new Regex($@"from 127\.0\.0\.1:{localPort}.*{Tls13}"), WssServe.Wait);
    }

    [SkippableFact]
    public async Task A_WebSocket_upgrade_without_the_sip_subprotocol_is_refused_with_400_and_a_plain_request_gets_426()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "runs the Linux build of serve and /usr/bin/python3");
        PythonWebSocketClient.Require();
        using WssServe serve = await WssServe.StartAsync();
        IReadOnlyList<JsonElement> lines = PythonWebSocketClient.Run(serve, "refuse", "chat");
        Assert.Equal(400, lines[0].GetProperty("refused").GetInt32());
        await serve.Process.WaitForAsync(new Regex("subprotocols offered: chat, 'sip' required"), WssServe.Wait);

        using var client = new HttpClient(WssHttp.PinnedHandler(serve));
        using HttpResponseMessage plain = await client.GetAsync(new Uri($"https://127.0.0.1:{serve.Port}/"));
        Assert.Equal(System.Net.HttpStatusCode.UpgradeRequired, plain.StatusCode);
        Assert.Contains("subprotocol 'sip'", await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Unframable_SIP_is_answered_as_over_TLS_and_the_WebSocket_closed_with_1002_and_oversized_with_413_and_1009()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "runs the Linux build of serve and /usr/bin/python3");
        PythonWebSocketClient.Require();
        using WssServe serve = await WssServe.StartAsync();

        // A Content-Length larger than the message carries: 400, as over TLS for a bad Content-Length, then closed.
        string badLength = "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WSS bad.invalid;branch=z9hG4bKbad\r\nFrom: <sip:a@bad.invalid>;tag=b\r\n"
            + "To: <sip:127.0.0.1>\r\nCall-ID: bad-length\r\nCSeq: 1 OPTIONS\r\nContent-Length: 40\r\n\r\n";
        IReadOnlyList<JsonElement> lines = PythonWebSocketClient.Run(serve, "send-text", badLength);
        Assert.StartsWith("SIP/2.0 400 Bad Content-Length\r\n", lines[1].GetProperty("reply").GetString(), StringComparison.Ordinal);
        Assert.Contains("Call-ID: bad-length", lines[1].GetProperty("reply").GetString(), StringComparison.Ordinal);
        Assert.Equal(1002, lines[2].GetProperty("closed").GetInt32());

        // Bytes that are not SIP: nothing to address, so no reply; closed (over TLS: the stream is closed).
        lines = PythonWebSocketClient.Run(serve, "send", Convert.ToHexString("\0\u0001 not SIP"u8));
        Assert.Equal(2, lines.Count);
        Assert.Equal(1002, lines[1].GetProperty("closed").GetInt32());
        Assert.Contains("bytes that are not SIP", lines[1].GetProperty("reason").GetString(), StringComparison.Ordinal);

        // Over the message limit (64 KiB header + 64 KiB body): 413 from the header, then closed as too big.
        string huge = "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WSS big.invalid;branch=z9hG4bKbig\r\nFrom: <sip:a@big.invalid>;tag=g\r\n"
            + "To: <sip:a@big.invalid>\r\nCall-ID: too-big\r\nCSeq: 1 REGISTER\r\n\r\n" + new string('x', 140_000);
        string hugeFile = Path.Combine(serve.Directory, "huge.sip");
        File.WriteAllText(hugeFile, huge);
        lines = PythonWebSocketClient.Run(serve, "send-file", hugeFile);
        Assert.StartsWith("SIP/2.0 413 Request Entity Too Large\r\n", lines[1].GetProperty("reply").GetString(), StringComparison.Ordinal);
        Assert.Equal(1009, lines[2].GetProperty("closed").GetInt32());
        await serve.Process.WaitForAsync(new Regex("SIP stream unusable \\(message over 131076 bytes\\)"), WssServe.Wait);
    }

    [SkippableFact]
    public async Task A_wss_connection_is_in_ctl_tls_list_and_tls_info_like_the_TLS_listener_s_and_tls_kill_closes_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "runs the Linux build of serve and /usr/bin/python3");
        PythonWebSocketClient.Require();
        using WssServe serve = await WssServe.StartAsync();
        using Process holding = PythonWebSocketClient.StartHolding(serve);
        try
        {
            string? connected = await holding.StandardOutput.ReadLineAsync().WaitAsync(WssServe.Wait);
            int localPort = JsonDocument.Parse(connected!).RootElement.GetProperty("local_port").GetInt32();
            string? reply = await holding.StandardOutput.ReadLineAsync().WaitAsync(WssServe.Wait);
            Assert.Contains("SIP/2.0 200 OK", reply, StringComparison.Ordinal);

            (int exit, string list) = EndpointProcess.Run(WssServe.Wait, "ctl", "tls.list", "--json", "--socket", serve.ControlSocket);
            Assert.True(exit == 0, list);
            JsonElement row = JsonDocument.Parse(list).RootElement.EnumerateArray()
                .Single(connection => connection.GetProperty("source").GetString() == $"127.0.0.1:{localPort}");
            Assert.Equal($"127.0.0.1:{serve.Port}", row.GetProperty("destination").GetString());
            Assert.Equal("TLSv1.3", row.GetProperty("version").GetString());
            (exit, string info) = EndpointProcess.Run(WssServe.Wait, "ctl", "tls.info", "--json", "--socket", serve.ControlSocket);
            Assert.True(exit == 0, info);
            Assert.True(JsonDocument.Parse(info).RootElement.GetProperty("opened_connections").GetInt32() >= 1, info);

            (exit, string killed) = EndpointProcess.Run(WssServe.Wait, "ctl", "tls.kill", row.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "--socket", serve.ControlSocket);
            Assert.True(exit == 0, killed);
            // The module's kill reaches the WebSocket listener's connection: serve names its peer, the client sees it go.
            await serve.Process.WaitForAsync(new Regex($@"tls:killed: connection \d+ with 127\.0\.0\.1:{localPort} "), WssServe.Wait);
            string? closed = await holding.StandardOutput.ReadLineAsync().WaitAsync(WssServe.Wait);
            Assert.True(JsonDocument.Parse(closed!).RootElement.TryGetProperty("closed", out _), closed);
            Assert.True(holding.WaitForExit(TimeSpan.FromSeconds(30)), "the python client did not end");
        }
        finally
        {
            if (!holding.HasExited)
            {
                holding.Kill(entireProcessTree: true);
            }
        }
    }
}
