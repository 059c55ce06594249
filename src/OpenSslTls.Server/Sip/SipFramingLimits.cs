namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>Bounds one connection's framer enforces, so a peer cannot make it buffer without limit.</summary>
internal sealed record SipFramingLimits
{
    /// <summary>Default header limit: 64 KiB, far above any real SIP header section.</summary>
    public const int DefaultMaxHeaderBytes = 64 * 1024;

    /// <summary>Default body limit: 64 KiB, Kamailio's whole-message TCP buffer size.</summary>
    public const int DefaultMaxBodyBytes = 64 * 1024;

    /// <summary>The largest header section accepted, start line and final CRLFCRLF included.</summary>
    public int MaxHeaderBytes { get; init; } = DefaultMaxHeaderBytes;

    /// <summary>The largest Content-Length accepted.</summary>
    public int MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>What CRLFs between messages mean.</summary>
    public SipKeepAliveRole KeepAliveRole { get; init; } = SipKeepAliveRole.AnswersPings;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is unusable.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeaderBytes, 16, nameof(MaxHeaderBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxBodyBytes, nameof(MaxBodyBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)MaxHeaderBytes + MaxBodyBytes, Array.MaxLength, nameof(MaxBodyBytes));
    }
}
