namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// Finds Content-Length (or compact <c>l</c>) in a raw header section without allocating: names match
/// case-insensitively with optional whitespace before the colon, values may be folded over continuation lines
/// (RFC 3261 §7.3.1), and repeated headers must agree, so two parsers can never disagree on where a message ends.
/// </summary>
internal static class SipContentLength
{
    /// <summary>Scans <paramref name="headerSection"/> (start line through CRLFCRLF).</summary>
    public static ContentLength Find(ReadOnlySpan<byte> headerSection)
    {
        long? found = null;
        bool inContentLength = false;
        var value = new DigitAccumulator();
        bool firstLine = true;
        while (!headerSection.IsEmpty)
        {
            int lineEnd = headerSection.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = lineEnd < 0 ? headerSection : headerSection[..lineEnd];
            headerSection = lineEnd < 0 ? [] : headerSection[(lineEnd + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (firstLine)
            {
                firstLine = false;
                continue;
            }

            if (!line.IsEmpty && SipSyntax.IsWhitespace(line[0]))
            {
                // A continuation line belongs to the header before it.
                if (inContentLength && !value.Add(line))
                {
                    return new ContentLength(ContentLengthStatus.Invalid, 0);
                }

                continue;
            }

            if (inContentLength && !Complete(ref found, value))
            {
                return new ContentLength(ContentLengthStatus.Invalid, 0);
            }

            inContentLength = false;
            int colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                continue;
            }

            ReadOnlySpan<byte> name = line[..colon].TrimEnd(" \t"u8);
            if (name.EqualsIgnoreCaseAscii("Content-Length"u8) || name.EqualsIgnoreCaseAscii("l"u8))
            {
                inContentLength = true;
                value = new DigitAccumulator();
                if (!value.Add(line[(colon + 1)..]))
                {
                    return new ContentLength(ContentLengthStatus.Invalid, 0);
                }
            }
        }

        if (inContentLength && !Complete(ref found, value))
        {
            return new ContentLength(ContentLengthStatus.Invalid, 0);
        }

        return found is { } length ? new ContentLength(ContentLengthStatus.Present, length) : new ContentLength(ContentLengthStatus.Missing, 0);
    }

    private static bool Complete(ref long? found, DigitAccumulator value)
    {
        if (!value.HasDigits || (found is { } earlier && earlier != value.Value))
        {
            return false;
        }

        found = value.Value;
        return true;
    }

    private static bool EqualsIgnoreCaseAscii(this ReadOnlySpan<byte> value, ReadOnlySpan<byte> expected) =>
        System.Text.Ascii.EqualsIgnoreCase(value, expected);

    /// <summary>1*DIGIT surrounded by optional whitespace, possibly spread over folded lines.</summary>
    private struct DigitAccumulator
    {
        private bool _ended;

        public long Value { get; private set; }

        public bool HasDigits { get; private set; }

        public bool Add(ReadOnlySpan<byte> segment)
        {
            foreach (byte b in segment)
            {
                if (SipSyntax.IsWhitespace(b))
                {
                    _ended |= HasDigits;
                    continue;
                }

                if (b is < (byte)'0' or > (byte)'9' || _ended)
                {
                    return false;
                }

                HasDigits = true;
                Value = Value > (long.MaxValue - 9) / 10 ? long.MaxValue : (Value * 10) + (b - '0');
            }

            return true;
        }
    }
}
