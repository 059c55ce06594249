using System.Buffers;
using System.Globalization;
using System.Text;

namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// A parsed SIP header section: the start line (request or status line) and the header fields in order, unfolded and
/// with compact names expanded. Only what a stateless responder needs; the body is never looked at.
/// </summary>
internal sealed class SipMessageHead
{
    // Every control character but HTAB: none belongs in a header line (RFC 3261 TEXT-UTF8 and LWS).
    private static readonly SearchValues<char> s_controlCharacters = SearchValues.Create(
        "\0\x01\x02\x03\x04\x05\x06\x07\x08\x0A\x0B\x0C\x0D\x0E\x0F\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1A\x1B\x1C\x1D\x1E\x1F\x7F");

    private SipMessageHead(string startLine, IReadOnlyList<SipHeaderField> headers)
    {
        StartLine = startLine;
        Headers = headers;
    }

    /// <summary>The first line, without its CRLF.</summary>
    public string StartLine { get; }

    /// <summary>True for a request, false for a response.</summary>
    public bool IsRequest { get; private init; }

    /// <summary>The request method (case-sensitive, RFC 3261 §7.1), or null for a response.</summary>
    public string? Method { get; private init; }

    /// <summary>The request's SIP-Version text, e.g. <c>SIP/2.0</c>, or null for a response.</summary>
    public string? Version { get; private init; }

    /// <summary>The response's status code, or 0 for a request.</summary>
    public int StatusCode { get; private init; }

    /// <summary>Every header field in arrival order.</summary>
    public IReadOnlyList<SipHeaderField> Headers { get; }

    /// <summary>
    /// Parses a header section (start line through CRLFCRLF). Returns null, with <paramref name="problem"/> set, when the
    /// start line is neither a request line nor a status line, a header line has no colon, a line holds a control
    /// character other than HTAB (e.g. a bare CR), or the section has more header fields, or one header more
    /// continuation lines, than <paramref name="limits"/> (default: <see cref="SipFramingLimits"/>'s defaults) allow;
    /// text is read as UTF-8. Unfolding is linear in the section's size, however many continuation lines there are.
    /// </summary>
    public static SipMessageHead? TryParse(ReadOnlySpan<byte> headerSection, out string? problem, SipFramingLimits? limits = null)
    {
        limits ??= SipFramingLimits.Default;
        string text = Encoding.UTF8.GetString(headerSection);

        // Lines end at LF, with or without a CR, exactly as SipContentLength reads them when framing. Split at CRLF
        // only, a bare LF stayed inside a value and was copied into replies, where a peer ends the line there and reads
        // the rest as a header of ours (fuzz finding: "i: c\nl: 5" made a reply claim a body it does not have).
        // Lines are spans of the text, so a line costs no allocation: only names and values become strings.
        ReadOnlySpan<char> rest = text;
        var headers = new List<SipHeaderField>();
        string startLine = NextLine(ref rest).ToString();
        if (ControlCharacterIn(startLine) is { } startControl)
        {
            problem = $"control character 0x{(int)startControl:X2} in the start line '{Shorten(startLine)}'";
            return null;
        }

        // The header being read: its name and value so far. A folded value is gathered in one builder and made a
        // string once, at the next header; rebuilding it per continuation line was quadratic (64 KiB of " b" lines
        // cost 0.12 s of CPU).
        string? name = null;
        string value = string.Empty;
        StringBuilder? folded = null;
        int continuations = 0;
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<char> line = NextLine(ref rest);
            if (line.IsEmpty)
            {
                continue;
            }

            // No control character but HTAB belongs in a header line (RFC 3261 TEXT-UTF8 and LWS). A bare CR would be
            // copied into replies, and some peers end a line there (the bare-LF finding's twin); refuse the message.
            if (ControlCharacterIn(line) is { } control)
            {
                problem = $"control character 0x{(int)control:X2} in header line '{Shorten(line.ToString())}'";
                return null;
            }

            if (line[0] is ' ' or '\t')
            {
                if (name is null)
                {
                    problem = "a continuation line before any header";
                    return null;
                }

                if (++continuations > limits.MaxContinuationLines)
                {
                    problem = $"header {name} is folded over more than {limits.MaxContinuationLines} continuation lines (MaxContinuationLines)";
                    return null;
                }

                // Unfolded, the pieces that are not empty are joined by one space.
                ReadOnlySpan<char> piece = line.Trim(" \t");
                if (piece.Length > 0)
                {
                    folded ??= new StringBuilder(value);
                    if (folded.Length > 0)
                    {
                        folded.Append(' ');
                    }

                    folded.Append(piece);
                }

                continue;
            }

            int colon = line.IndexOf(':');
            ReadOnlySpan<char> lineName = colon < 0 ? [] : line[..colon].TrimEnd(" \t");
            if (!SipSyntax.IsToken(lineName))
            {
                problem = $"malformed header line '{Shorten(line.ToString())}'";
                return null;
            }

            if (headers.Count + (name is null ? 0 : 1) >= limits.MaxHeaderFields)
            {
                problem = $"more than {limits.MaxHeaderFields} header fields (MaxHeaderFields)";
                return null;
            }

            AddHeader(headers, name, value, folded);
            name = SipHeaderNames.Canonical(lineName.ToString());
            value = line[(colon + 1)..].Trim(" \t").ToString();
            folded = null;
            continuations = 0;
        }

        AddHeader(headers, name, value, folded);
        string[] parts = startLine.Split(' ', 3);
        if (parts.Length == 3 && parts[0] == "SIP/2.0" && parts[1].Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
        {
            problem = null;
            return new SipMessageHead(startLine, headers) { StatusCode = status };
        }

        if (parts.Length == 3 && SipSyntax.IsToken(parts[0]) && parts[1].Length > 0 && parts[2].StartsWith("SIP/", StringComparison.OrdinalIgnoreCase) && !parts[2].Contains(' ', StringComparison.Ordinal))
        {
            problem = null;
            return new SipMessageHead(startLine, headers) { IsRequest = true, Method = parts[0], Version = parts[2] };
        }

        problem = $"'{Shorten(startLine)}' is neither a request line nor a status line";
        return null;
    }

    /// <summary>The value of the first header named <paramref name="name"/> (canonical name), or null.</summary>
    public string? First(string name)
    {
        foreach (SipHeaderField header in Headers)
        {
            if (header.Name == name)
            {
                return header.Value;
            }
        }

        return null;
    }

    /// <summary>Every header named <paramref name="name"/> (canonical name), in order.</summary>
    public IEnumerable<SipHeaderField> All(string name) => Headers.Where(header => header.Name == name);

    private static void AddHeader(List<SipHeaderField> headers, string? name, string value, StringBuilder? folded)
    {
        if (name is not null)
        {
            headers.Add(new SipHeaderField(name, folded?.ToString() ?? value));
        }
    }

    /// <summary>The line at the front of <paramref name="rest"/>, without its LF or CRLF; <paramref name="rest"/> moves past it.</summary>
    private static ReadOnlySpan<char> NextLine(ref ReadOnlySpan<char> rest)
    {
        int lf = rest.IndexOf('\n');
        ReadOnlySpan<char> line = lf < 0 ? rest : rest[..lf];
        rest = lf < 0 ? [] : rest[(lf + 1)..];
        return line.EndsWith('\r') ? line[..^1] : line;
    }

    private static char? ControlCharacterIn(ReadOnlySpan<char> line)
    {
        int at = line.IndexOfAny(s_controlCharacters);
        return at < 0 ? null : line[at];
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
