namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>What a header section says about its body length.</summary>
internal enum ContentLengthStatus
{
    /// <summary>One or more Content-Length headers, all the same decimal number.</summary>
    Present,

    /// <summary>No Content-Length header.</summary>
    Missing,

    /// <summary>A value that is not a decimal number, or values that disagree.</summary>
    Invalid,
}
