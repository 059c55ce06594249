namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>Why a stream stopped being framable. Every one of these ends the connection: the stream has lost sync.</summary>
internal enum SipFramingError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>Bytes that cannot start or belong to a SIP header section (control characters; between messages, a CR without LF or a first byte that cannot start a method or status line).</summary>
    Malformed,

    /// <summary>The header section grew past <see cref="SipFramingLimits.MaxHeaderBytes"/> without or before its CRLFCRLF.</summary>
    HeaderTooLarge,

    /// <summary>No Content-Length header: RFC 3261 §18.3 makes it mandatory on stream transports, so the body's end is unknowable.</summary>
    MissingContentLength,

    /// <summary>A Content-Length that is not a decimal number, or several that disagree.</summary>
    InvalidContentLength,

    /// <summary>A Content-Length above <see cref="SipFramingLimits.MaxBodyBytes"/>.</summary>
    BodyTooLarge,

    /// <summary>More header fields than <see cref="SipFramingLimits.MaxHeaderFields"/>.</summary>
    TooManyHeaderFields,

    /// <summary>A header field folded over more continuation lines than <see cref="SipFramingLimits.MaxContinuationLines"/>.</summary>
    TooManyContinuationLines,
}
