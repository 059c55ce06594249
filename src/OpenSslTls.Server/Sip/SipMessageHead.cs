using System.Globalization;
using System.Text;

namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// A parsed SIP header section: the start line (request or status line) and the header fields in order, unfolded and
/// with compact names expanded. Only what a stateless responder needs; the body is never looked at.
/// </summary>
internal sealed class SipMessageHead
{
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
    /// start line is neither a request line nor a status line, a header line has no colon, or a line holds a control
    /// character other than HTAB (e.g. a bare CR); text is read as UTF-8.
    /// </summary>
    public static SipMessageHead? TryParse(ReadOnlySpan<byte> headerSection, out string? problem)
    {
        string text = Encoding.UTF8.GetString(headerSection);

        // Lines end at LF, with or without a CR, exactly as SipContentLength reads them when framing. Split at CRLF
        // only, a bare LF stayed inside a value and was copied into replies, where a peer ends the line there and reads
        // the rest as a header of ours (fuzz finding: "i: c\nl: 5" made a reply claim a body it does not have).
        string[] lines = text.Split('\n');
        var headers = new List<SipHeaderField>();
        string startLine = WithoutCr(lines[0]);
        if (ControlCharacterIn(startLine) is { } startControl)
        {
            problem = $"control character 0x{(int)startControl:X2} in the start line '{Shorten(startLine)}'";
            return null;
        }

        for (int i = 1; i < lines.Length; i++)
        {
            string line = WithoutCr(lines[i]);
            if (line.Length == 0)
            {
                continue;
            }

            // No control character but HTAB belongs in a header line (RFC 3261 TEXT-UTF8 and LWS). A bare CR would be
            // copied into replies, and some peers end a line there (the bare-LF finding's twin); refuse the message.
            if (ControlCharacterIn(line) is { } control)
            {
                problem = $"control character 0x{(int)control:X2} in header line '{Shorten(line)}'";
                return null;
            }

            if (line[0] is ' ' or '\t')
            {
                if (headers.Count == 0)
                {
                    problem = "a continuation line before any header";
                    return null;
                }

                SipHeaderField previous = headers[^1];
                headers[^1] = previous with { Value = (previous.Value + " " + line.Trim(' ', '\t')).Trim(' ', '\t') };
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string name = colon < 0 ? string.Empty : line[..colon].TrimEnd(' ', '\t');
            if (!SipSyntax.IsToken(name))
            {
                problem = $"malformed header line '{Shorten(line)}'";
                return null;
            }

            headers.Add(new SipHeaderField(SipHeaderNames.Canonical(name), line[(colon + 1)..].Trim(' ', '\t')));
        }

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

    private static string WithoutCr(string line) => line.EndsWith('\r') ? line[..^1] : line;

    private static char? ControlCharacterIn(string line)
    {
        foreach (char c in line)
        {
            if ((c < ' ' && c != '\t') || c == '\x7F')
            {
                return c;
            }
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
