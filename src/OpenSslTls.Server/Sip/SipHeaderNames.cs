namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>Header names the endpoint reads, and the expansion of RFC 3261 §7.3.3 compact forms to them.</summary>
internal static class SipHeaderNames
{
    public const string Via = "Via";
    public const string From = "From";
    public const string To = "To";
    public const string CallId = "Call-ID";
    public const string CSeq = "CSeq";
    public const string ContentLength = "Content-Length";
    public const string Contact = "Contact";

    /// <summary>The canonical spelling of <paramref name="name"/>: compact forms expanded, known names in their usual case.</summary>
    public static string Canonical(string name)
    {
        if (name.Length == 1)
        {
            switch (char.ToLowerInvariant(name[0]))
            {
                case 'v': return Via;
                case 'f': return From;
                case 't': return To;
                case 'i': return CallId;
                case 'l': return ContentLength;
                case 'm': return Contact;
                case 'c': return "Content-Type";
                case 'e': return "Content-Encoding";
                case 'k': return "Supported";
                case 's': return "Subject";
                default: return name;
            }
        }

        foreach (string known in (ReadOnlySpan<string>)[Via, From, To, CallId, CSeq, ContentLength, Contact])
        {
            if (string.Equals(name, known, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return name;
    }
}
