namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// Counts the header fields and each field's continuation lines in a raw header section, in one pass without
/// allocating, so the framer refuses a message over <see cref="SipFramingLimits.MaxHeaderFields"/> or
/// <see cref="SipFramingLimits.MaxContinuationLines"/> before anything parses it. Lines end at LF, as everywhere else.
/// </summary>
internal static class SipHeaderCounts
{
    /// <summary>The limit <paramref name="headerSection"/> (start line through CRLFCRLF) breaks, or <see cref="SipFramingError.None"/>.</summary>
    public static SipFramingError Check(ReadOnlySpan<byte> headerSection, SipFramingLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        int fields = 0;
        int continuations = 0;
        int lineEnd = headerSection.IndexOf((byte)'\n');
        while (lineEnd >= 0)
        {
            // The line after this LF: the start line is skipped, empty lines (the final CRLF) count for nothing.
            headerSection = headerSection[(lineEnd + 1)..];
            if (headerSection.IsEmpty)
            {
                break;
            }

            byte first = headerSection[0];
            if (SipSyntax.IsWhitespace(first))
            {
                if (fields > 0 && ++continuations > limits.MaxContinuationLines)
                {
                    return SipFramingError.TooManyContinuationLines;
                }
            }
            else if (first is not ((byte)'\r' or (byte)'\n'))
            {
                continuations = 0;
                if (++fields > limits.MaxHeaderFields)
                {
                    return SipFramingError.TooManyHeaderFields;
                }
            }

            lineEnd = headerSection.IndexOf((byte)'\n');
        }

        return SipFramingError.None;
    }
}
