using System.Globalization;
using System.Text;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>SIP requests the server tests send, with CRLF line ends.</summary>
internal static class SipRequests
{
    public static string Options(int cseq, string callId = "call-1@test", string body = "") =>
        Request("OPTIONS", cseq, callId, body);

    public static string Request(string method, int cseq, string callId = "call-1@test", string body = "", bool contentLength = true)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{method} sip:server@127.0.0.1;transport=tls SIP/2.0\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-{cseq}-{callId.GetHashCode(StringComparison.Ordinal):x8}\r\n");
        text.Append("Max-Forwards: 70\r\n");
        text.Append("From: <sip:alice@example.test>;tag=from-tag\r\n");
        text.Append("To: <sip:server@127.0.0.1>\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Call-ID: {callId}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"CSeq: {cseq} {method}\r\n");
        if (body.Length > 0)
        {
            text.Append("Content-Type: application/sdp\r\n");
        }

        if (contentLength)
        {
            text.Append(CultureInfo.InvariantCulture, $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n");
        }

        text.Append("\r\n").Append(body);
        return text.ToString();
    }
}
