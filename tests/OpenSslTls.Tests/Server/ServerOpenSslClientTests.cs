using System.Text.RegularExpressions;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// The in-process server against <c>openssl s_client -quiet</c>: s_client's stdout is exactly the plaintext the server
/// sent, and each write to its stdin goes out as its own TLS record, so framing is tested across real record and
/// segment boundaries.
/// </summary>
public sealed class ServerOpenSslClientTests : NativeLeakCheck
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    [SkippableFact]
    public async Task OPTIONS_gets_200_copying_the_request_headers()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        await using ServerTestHost host = ServerTestHost.Start();
        using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet", "-servername", "localhost");
        client.WriteRaw(SipRequests.Options(1));
        string reply = await WaitForRepliesAsync(client, 1);

        string[] lines = reply.Split("\r\n");
        Assert.Equal("SIP/2.0 200 OK", lines[0]);
        Assert.Equal($"Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-1-{"call-1@test".GetHashCode(StringComparison.Ordinal):x8}", lines[1]);
        Assert.Equal("From: <sip:alice@example.test>;tag=from-tag", lines[2]);
        Assert.Matches("^To: <sip:server@127.0.0.1>;tag=[0-9a-f]{16}$", lines[3]);
        Assert.Equal("Call-ID: call-1@test", lines[4]);
        Assert.Equal("CSeq: 1 OPTIONS", lines[5]);
        Assert.EndsWith("\r\nContent-Length: 0\r\n\r\n", reply, StringComparison.Ordinal);

        Assert.True(await host.WaitForLogAsync("sni=localhost", s_wait), host.LogText);
        Assert.Matches(@"connection 1 from 127\.0\.0\.1:\d+: TLSv1\.3 TLS_\w+ \(\d+ bits\), sni=localhost, peer=none, verified=no, resumed=no", host.LogText);
    }

    [SkippableFact]
    public async Task A_CRLFCRLF_ping_gets_a_CRLF_pong()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        await using ServerTestHost host = ServerTestHost.Start();
        using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet");
        client.WriteRaw("\r\n\r\n");
        Assert.True(await WaitForStdoutAsync(client, text => text.Length >= 2), client.Output);
        await Task.Delay(200); // Anything more than the pong would arrive by now.
        Assert.Equal("\r\n", client.StandardOutput);

        client.WriteRaw(SipRequests.Options(2));
        string all = await WaitForRepliesAsync(client, 1);
        Assert.StartsWith("\r\nSIP/2.0 200 OK\r\n", all, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Two_pipelined_messages_in_one_write_get_two_200s_in_order()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        await using ServerTestHost host = ServerTestHost.Start();
        using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet");
        client.WriteRaw(SipRequests.Options(1) + SipRequests.Options(2));
        string replies = await WaitForRepliesAsync(client, 2);
        Assert.Equal(["CSeq: 1 OPTIONS", "CSeq: 2 OPTIONS"], CSeqLines(replies));
        Assert.Equal(2, Regex.Count(replies, "SIP/2.0 200 OK\r\n"));
    }

    [SkippableFact]
    public async Task A_message_split_across_many_writes_is_answered_once()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        await using ServerTestHost host = ServerTestHost.Start();
        using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet");
        string request = SipRequests.Options(7);
        foreach (char[] piece in request.Chunk(9))
        {
            client.WriteRaw(new string(piece));
            await Task.Delay(4); // Lets s_client read, encrypt and send each piece as its own record.
        }

        string reply = await WaitForRepliesAsync(client, 1);
        await Task.Delay(200);
        Assert.Equal(["CSeq: 7 OPTIONS"], CSeqLines(client.StandardOutput));
        Assert.StartsWith("SIP/2.0 200 OK\r\n", reply, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_body_is_skipped_by_its_Content_Length()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        await using ServerTestHost host = ServerTestHost.Start();
        using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet");

        // The body holds a blank line and text that looks like a request: only Content-Length says where it ends.
        const string body = "v=0\r\n\r\nOPTIONS sip:fake SIP/2.0\r\n";
        client.WriteRaw(SipRequests.Options(1, body: body) + SipRequests.Options(2));
        string replies = await WaitForRepliesAsync(client, 2);
        Assert.Equal(["CSeq: 1 OPTIONS", "CSeq: 2 OPTIONS"], CSeqLines(replies));
    }

    [SkippableFact]
    public async Task Other_methods_get_501_and_ACK_gets_nothing()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        await using ServerTestHost host = ServerTestHost.Start();
        using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet");
        client.WriteRaw(SipRequests.Request("INVITE", 1) + SipRequests.Request("ACK", 1) + SipRequests.Request("REGISTER", 2));
        string replies = await WaitForRepliesAsync(client, 2);
        Assert.StartsWith("SIP/2.0 501 Not Implemented\r\n", replies, StringComparison.Ordinal);
        Assert.Equal(["CSeq: 1 INVITE", "CSeq: 2 REGISTER"], CSeqLines(replies));
    }

    private static async Task<string> WaitForRepliesAsync(OpenSslProcess client, int count)
    {
        bool arrived = await WaitForStdoutAsync(client, text => Regex.Count(text, "Content-Length: 0\r\n\r\n") >= count);
        Assert.True(arrived, $"expected {count} replies; s_client output:{Environment.NewLine}{client.Output}");
        return client.StandardOutput;
    }

    private static async Task<bool> WaitForStdoutAsync(OpenSslProcess client, Func<string, bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + s_wait;
        while (!condition(client.StandardOutput))
        {
            if (DateTime.UtcNow > deadline || client.HasExited)
            {
                return condition(client.StandardOutput);
            }

            await Task.Delay(10);
        }

        return true;
    }

    private static List<string> CSeqLines(string text) =>
        [.. text.Split("\r\n").Where(line => line.StartsWith("CSeq:", StringComparison.Ordinal))];
}
