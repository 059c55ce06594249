namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>What <see cref="SipFramer.TryRead"/> found at the front of the stream.</summary>
internal enum SipFrameKind
{
    /// <summary>A complete SIP message: the header section (through CRLFCRLF) and exactly Content-Length body bytes.</summary>
    Message,

    /// <summary>An RFC 5626 keep-alive ping (CRLFCRLF between messages); a server answers it with a CRLF pong.</summary>
    Ping,

    /// <summary>An RFC 5626 pong (a lone CRLF), reported only by a framer for the side that sends pings.</summary>
    Pong,

    /// <summary>The stream cannot be framed any further; <see cref="SipFrame.Error"/> says why. Always the last frame.</summary>
    Invalid,
}
