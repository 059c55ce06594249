using System.Globalization;
using System.Net;

namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// What a server must add to the top Via value of a request before copying it into a response: <c>received</c> when
/// the sent-by host is a name or another address than the one the request came from (RFC 3261 §18.2.1), and the
/// source port in an empty <c>rport</c>, with <c>received</c>, when the client asked for it (RFC 3581 §4).
/// </summary>
internal static class ViaSourceParameters
{
    /// <summary>The top Via header value with the parameters <paramref name="source"/> calls for; unchanged when none apply or it cannot be parsed.</summary>
    public static string Apply(string viaValue, IPEndPoint source)
    {
        ArgumentNullException.ThrowIfNull(viaValue);
        ArgumentNullException.ThrowIfNull(source);

        // Only the first via-parm of the header is the top one; later ones (after a comma) stay as they are.
        int comma = viaValue.IndexOf(',', StringComparison.Ordinal);
        string top = (comma < 0 ? viaValue : viaValue[..comma]).TrimEnd();
        string rest = comma < 0 ? string.Empty : viaValue[comma..];
        string[] parts = top.Split(';');
        string? sentByHost = SentByHost(parts[0]);
        if (sentByHost is null)
        {
            return viaValue;
        }

        string sourceAddress = source.Address.ToString();
        bool hasReceived = false;
        bool rportRequested = false;
        for (int i = 1; i < parts.Length; i++)
        {
            string name = parts[i].Split('=', 2)[0].Trim();
            hasReceived |= name.Equals("received", StringComparison.OrdinalIgnoreCase);
            if (name.Equals("rport", StringComparison.OrdinalIgnoreCase) && !parts[i].Contains('=', StringComparison.Ordinal))
            {
                parts[i] = "rport=" + source.Port.ToString(CultureInfo.InvariantCulture);
                rportRequested = true;
            }
        }

        bool sameAddress = IPAddress.TryParse(sentByHost, out IPAddress? sentBy) && sentBy.Equals(source.Address);
        string result = string.Join(';', parts);
        if (!hasReceived && (rportRequested || !sameAddress))
        {
            result += ";received=" + sourceAddress;
        }

        return result + rest;
    }

    /// <summary>The host of <c>SIP/2.0/TLS host[:port]</c> (brackets removed from IPv6), or null when it is not that shape.</summary>
    private static string? SentByHost(string protocolAndSentBy)
    {
        string[] words = protocolAndSentBy.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 2 || !words[0].StartsWith("SIP/", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string sentBy = words[1].Trim();
        if (sentBy.StartsWith('['))
        {
            int close = sentBy.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? null : sentBy[1..close];
        }

        int colon = sentBy.IndexOf(':', StringComparison.Ordinal);
        string host = colon < 0 ? sentBy : sentBy[..colon];
        return host.Length == 0 ? null : host;
    }
}
