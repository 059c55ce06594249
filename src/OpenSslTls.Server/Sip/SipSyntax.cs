namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>Character classes of RFC 3261 §25 the framer and parser need.</summary>
internal static class SipSyntax
{
    /// <summary>Whether <paramref name="value"/> is a <c>token</c> character (alphanumeric or one of <c>-.!%*_+`'~</c>).</summary>
    public static bool IsTokenByte(byte value) =>
        value is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'.' or (byte)'!' or (byte)'%' or (byte)'*' or (byte)'_' or (byte)'+' or (byte)'`' or (byte)'\'' or (byte)'~';

    /// <summary>Whether <paramref name="value"/> is linear whitespace within a line (SP or HTAB).</summary>
    public static bool IsWhitespace(byte value) => value is (byte)' ' or (byte)'\t';

    /// <summary>Whether every character of <paramref name="value"/> is a token character (and there is at least one).</summary>
    public static bool IsToken(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (c > 127 || !IsTokenByte((byte)c))
            {
                return false;
            }
        }

        return true;
    }
}
