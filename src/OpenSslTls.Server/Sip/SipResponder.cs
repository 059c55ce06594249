using System.Globalization;
using System.Net;
using System.Text;

namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// The endpoint's stateless request handling: OPTIONS and REGISTER get 200 OK, ACK gets nothing (RFC 3261 §17.1.1.3:
/// an ACK is never answered), responses are ignored, any other method gets 501 Not Implemented. Responses copy Via
/// (every one, in order), From, To (adding a tag when it has none), Call-ID and CSeq, and carry Content-Length: 0.
/// </summary>
internal sealed class SipResponder
{
    /// <summary>The methods this endpoint implements, as its Allow header lists them.</summary>
    public const string AllowedMethods = "OPTIONS, REGISTER";

    private const string ProductName = "openssltls";
    private readonly ToTagGenerator _tags;

    public SipResponder(ToTagGenerator tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        _tags = tags;
    }

    /// <summary>
    /// The response to a well-framed message, or null when none is due. With <paramref name="source"/> (the peer's
    /// address) the top Via gets its received/rport parameters, as RFC 3261 §18.2.1 and RFC 3581 require.
    /// </summary>
    public string? Respond(SipMessageHead message, IPEndPoint? source = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.IsRequest || message.Method == "ACK")
        {
            return null;
        }

        if (!string.Equals(message.Version, "SIP/2.0", StringComparison.OrdinalIgnoreCase))
        {
            return Build(message, 505, "Version Not Supported", source: source);
        }

        foreach (string required in (ReadOnlySpan<string>)[SipHeaderNames.Via, SipHeaderNames.From, SipHeaderNames.To, SipHeaderNames.CallId, SipHeaderNames.CSeq])
        {
            if (message.First(required) is null)
            {
                return Build(message, 400, $"Missing {required} Header", source: source);
            }
        }

        if (!CSeqMatches(message.First(SipHeaderNames.CSeq)!, message.Method!))
        {
            return Build(message, 400, "Bad CSeq", source: source);
        }

        return message.Method switch
        {
            "OPTIONS" => Build(message, 200, "OK", withAllow: true, source),
            "REGISTER" => Build(message, 200, "OK", source: source),
            _ => Build(message, 501, "Not Implemented", withAllow: true, source),
        };
    }

    /// <summary>
    /// The last word on a stream that could not be framed, when its header section arrived and was a request:
    /// 400 for a missing or bad Content-Length, 413 for a body over the limit. Null when nothing can be answered.
    /// </summary>
    public string? RespondToUnframable(SipFrame invalid, IPEndPoint? source = null)
    {
        if (invalid.Kind != SipFrameKind.Invalid || invalid.HeaderLength == 0)
        {
            return null;
        }

        SipMessageHead? message = SipMessageHead.TryParse(invalid.Header.Span, out _);
        if (message is null || !message.IsRequest || message.Method == "ACK")
        {
            return null;
        }

        return invalid.Error switch
        {
            SipFramingError.MissingContentLength => Build(message, 400, "Missing Content-Length", source: source),
            SipFramingError.InvalidContentLength => Build(message, 400, "Bad Content-Length", source: source),
            SipFramingError.BodyTooLarge => Build(message, 413, "Request Entity Too Large", source: source),
            _ => null,
        };
    }

    /// <summary>A response to <paramref name="request"/> built from its headers; <paramref name="source"/> as in <see cref="Respond"/>.</summary>
    public string Build(SipMessageHead request, int statusCode, string reason, bool withAllow = false, IPEndPoint? source = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = new StringBuilder(512);
        text.Append(CultureInfo.InvariantCulture, $"SIP/2.0 {statusCode} {reason}\r\n");
        bool top = true;
        foreach (SipHeaderField via in request.All(SipHeaderNames.Via))
        {
            AppendHeader(text, SipHeaderNames.Via, top && source is not null ? ViaSourceParameters.Apply(via.Value, source) : via.Value);
            top = false;
        }

        string? from = request.First(SipHeaderNames.From);
        string? to = request.First(SipHeaderNames.To);
        string? callId = request.First(SipHeaderNames.CallId);
        string? cseq = request.First(SipHeaderNames.CSeq);
        AppendHeader(text, SipHeaderNames.From, from);
        if (to is not null && !HasTag(to))
        {
            to += ";tag=" + _tags.TagFor(callId, from, cseq, request.First(SipHeaderNames.Via));
        }

        AppendHeader(text, SipHeaderNames.To, to);
        AppendHeader(text, SipHeaderNames.CallId, callId);
        AppendHeader(text, SipHeaderNames.CSeq, cseq);
        if (withAllow)
        {
            AppendHeader(text, "Allow", AllowedMethods);
        }

        AppendHeader(text, "Server", ProductName);
        text.Append("Content-Length: 0\r\n\r\n");
        return text.ToString();
    }

    /// <summary>Whether a From/To value carries a <c>tag</c> parameter (parameters inside &lt;…&gt; belong to the URI, not the header).</summary>
    public static bool HasTag(string nameAddress)
    {
        ArgumentNullException.ThrowIfNull(nameAddress);
        int close = nameAddress.LastIndexOf('>');
        string parameters = close >= 0 ? nameAddress[(close + 1)..] : nameAddress;
        string[] parts = parameters.Split(';');
        for (int i = 1; i < parts.Length; i++)
        {
            string name = parts[i].Split('=', 2)[0].Trim(' ', '\t');
            if (name.Equals("tag", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool CSeqMatches(string cseq, string method)
    {
        string[] parts = cseq.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2
            && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint number)
            && number < 1u << 31
            && parts[1] == method;
    }

    private static void AppendHeader(StringBuilder text, string name, string? value)
    {
        if (value is not null)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }
    }
}
