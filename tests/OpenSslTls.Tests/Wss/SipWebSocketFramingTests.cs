using System.Text;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.Tests.Wss;

/// <summary>One SIP message per WebSocket message (RFC 7118 §5), judged by the stream framer's rules.</summary>
public sealed class SipWebSocketFramingTests
{
    private const string Head = "OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/WSS h.invalid;branch=z9hG4bK1\r\nFrom: <sip:b@h.invalid>;tag=1\r\nTo: <sip:a>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n";

    private static readonly SipFramingLimits s_limits = new() { MaxHeaderBytes = 1024, MaxBodyBytes = 100 };

    [Theory]
    [InlineData(Head + "Content-Length: 5\r\n\r\nhello", 5)]
    [InlineData(Head + "\r\nhello", 5)] // no Content-Length: the WebSocket message ends the body
    [InlineData(Head + "\r\n", 0)]
    [InlineData("\r\n" + Head + "Content-Length: 0\r\n\r\n\r\n", 0)] // line ends around it are tolerated
    public void A_whole_message_is_one_message_frame(string message, int bodyLength)
    {
        SipFrame? frame = SipWebSocketFraming.Frame(Encoding.UTF8.GetBytes(message), s_limits);
        Assert.Equal(SipFrameKind.Message, frame?.Kind);
        Assert.Equal(bodyLength, frame!.Value.Body.Length);
        Assert.StartsWith("OPTIONS sip:a SIP/2.0\r\n", Encoding.UTF8.GetString(frame.Value.Header.Span), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Head + "Content-Length: 9\r\n\r\nhello", nameof(SipFramingError.InvalidContentLength), true)] // shorter than it says
    [InlineData(Head + "Content-Length: 2\r\n\r\nhello", nameof(SipFramingError.InvalidContentLength), true)] // longer, or a second message
    [InlineData(Head + "Content-Length: 0\r\n\r\n" + Head + "Content-Length: 0\r\n\r\n", nameof(SipFramingError.InvalidContentLength), true)]
    [InlineData(Head + "Content-Length: x\r\n\r\n", nameof(SipFramingError.InvalidContentLength), true)]
    [InlineData(Head + "Content-Length: 101\r\n\r\n", nameof(SipFramingError.BodyTooLarge), true)]
    [InlineData("OPTIONS sip:a SIP/2.0\r\nVia: x", nameof(SipFramingError.Malformed), false)] // the header section never ends
    [InlineData("\u0001binary", nameof(SipFramingError.Malformed), false)]
    public void A_message_that_is_not_exactly_one_SIP_message_is_invalid(string message, string error, bool withHeader)
    {
        SipFrame? frame = SipWebSocketFraming.Frame(Encoding.UTF8.GetBytes(message), s_limits);
        Assert.Equal(SipFrameKind.Invalid, frame?.Kind);
        Assert.Equal(Enum.Parse<SipFramingError>(error), frame!.Value.Error);
        Assert.Equal(withHeader, frame.Value.HeaderLength > 0);
    }

    [Fact]
    public void A_body_over_the_limit_without_Content_Length_is_too_large_and_keep_alives_are_pings()
    {
        SipFrame? frame = SipWebSocketFraming.Frame(Encoding.UTF8.GetBytes(Head + "\r\n" + new string('x', 101)), s_limits);
        Assert.Equal(SipFramingError.BodyTooLarge, frame?.Error);
        Assert.Equal(SipFrameKind.Ping, SipWebSocketFraming.Frame("\r\n\r\n"u8.ToArray(), s_limits)?.Kind);
        Assert.Null(SipWebSocketFraming.Frame("\r\n"u8.ToArray(), s_limits));
    }

    [Fact]
    public void An_oversized_message_keeps_its_header_for_a_413_when_the_header_is_whole()
    {
        SipFrame frame = SipWebSocketFraming.Oversized(Encoding.UTF8.GetBytes(Head + "\r\n" + new string('x', 200)), s_limits);
        Assert.Equal(SipFramingError.BodyTooLarge, frame.Error);
        Assert.EndsWith("CSeq: 1 OPTIONS\r\n\r\n", Encoding.UTF8.GetString(frame.Header.Span), StringComparison.Ordinal);
        Assert.Equal(SipFramingError.HeaderTooLarge, SipWebSocketFraming.Oversized(Encoding.UTF8.GetBytes("OPTIONS " + new string('x', 2000)), s_limits).Error);
        Assert.Equal(1024 + 100 + 4, SipWebSocketFraming.MaxMessageBytes(s_limits));
    }
}
