namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>Bounds one connection's framer enforces, so a peer cannot make it buffer without limit.</summary>
internal sealed record SipFramingLimits
{
    /// <summary>Default header limit: 64 KiB, far above any real SIP header section.</summary>
    public const int DefaultMaxHeaderBytes = 64 * 1024;

    /// <summary>Default body limit: 64 KiB, Kamailio's whole-message TCP buffer size.</summary>
    public const int DefaultMaxBodyBytes = 64 * 1024;

    /// <summary>Default cap on header fields per message: several times what real SIP messages carry.</summary>
    public const int DefaultMaxHeaderFields = 256;

    /// <summary>Default cap on continuation lines (RFC 3261 §7.3.1 folding) of one header field; real stacks rarely fold at all.</summary>
    public const int DefaultMaxContinuationLines = 64;

    /// <summary>The limits with every default.</summary>
    public static SipFramingLimits Default { get; } = new();

    /// <summary>The largest header section accepted, start line and final CRLFCRLF included.</summary>
    public int MaxHeaderBytes { get; init; } = DefaultMaxHeaderBytes;

    /// <summary>The largest Content-Length accepted.</summary>
    public int MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>The most header fields a message may have (continuation lines not counted).</summary>
    public int MaxHeaderFields { get; init; } = DefaultMaxHeaderFields;

    /// <summary>The most continuation lines one header field may be folded over.</summary>
    public int MaxContinuationLines { get; init; } = DefaultMaxContinuationLines;

    /// <summary>What CRLFs between messages mean.</summary>
    public SipKeepAliveRole KeepAliveRole { get; init; } = SipKeepAliveRole.AnswersPings;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is unusable.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeaderBytes, 16, nameof(MaxHeaderBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxBodyBytes, nameof(MaxBodyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeaderFields, 1, nameof(MaxHeaderFields));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxContinuationLines, nameof(MaxContinuationLines));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)MaxHeaderBytes + MaxBodyBytes, Array.MaxLength, nameof(MaxBodyBytes));
    }
}
