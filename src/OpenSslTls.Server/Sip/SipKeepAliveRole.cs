namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>Which half of RFC 5626 CRLF keep-alive a framer's side plays, which decides what CRLFs between messages mean.</summary>
internal enum SipKeepAliveRole
{
    /// <summary>A server: CRLFCRLF is a ping to answer; a lone CRLF between messages is ignored (RFC 3261 §7.5).</summary>
    AnswersPings,

    /// <summary>A client that pings: every CRLF between messages is a pong.</summary>
    SendsPings,
}
