using System.Buffers;
using System.Diagnostics;
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
    /// Writes the response to a well-framed message into <paramref name="output"/> as UTF-8; false, with nothing written,
    /// when none is due. With <paramref name="source"/> (the peer's address) the top Via gets its received/rport
    /// parameters, as RFC 3261 §18.2.1 and RFC 3581 require.
    /// </summary>
    public bool Respond(SipMessageHead message, IBufferWriter<byte> output, IPEndPoint? source = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        if (!message.IsRequest || message.Method == "ACK")
        {
            return false;
        }

        if (!string.Equals(message.Version, "SIP/2.0", StringComparison.OrdinalIgnoreCase))
        {
            Build(message, 505, "Version Not Supported"u8, output, source: source);
            return true;
        }

        foreach (string required in (ReadOnlySpan<string>)[SipHeaderNames.Via, SipHeaderNames.From, SipHeaderNames.To, SipHeaderNames.CallId, SipHeaderNames.CSeq])
        {
            if (message.First(required) is null)
            {
                Build(message, 400, "Missing "u8, output, reasonName: required, source: source);
                return true;
            }
        }

        if (!CSeqMatches(message.First(SipHeaderNames.CSeq)!, message.Method!))
        {
            Build(message, 400, "Bad CSeq"u8, output, source: source);
            return true;
        }

        switch (message.Method)
        {
            case "OPTIONS":
                Build(message, 200, "OK"u8, output, withAllow: true, source: source);
                break;
            case "REGISTER":
                Build(message, 200, "OK"u8, output, source: source);
                break;
            default:
                Build(message, 501, "Not Implemented"u8, output, withAllow: true, source: source);
                break;
        }

        return true;
    }

    /// <summary>
    /// The last word on a stream that could not be framed, when its header section arrived and was a request:
    /// 400 for a missing or bad Content-Length, 413 for a body over the limit, written into <paramref name="output"/>.
    /// False, with nothing written, when nothing can be answered.
    /// </summary>
    public bool RespondToUnframable(SipFrame invalid, IBufferWriter<byte> output, IPEndPoint? source = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (invalid.Kind != SipFrameKind.Invalid || invalid.HeaderLength == 0)
        {
            return false;
        }

        SipMessageHead? message = SipMessageHead.TryParse(invalid.Header.Span, out _);
        if (message is null || !message.IsRequest || message.Method == "ACK")
        {
            return false;
        }

        switch (invalid.Error)
        {
            case SipFramingError.MissingContentLength:
                Build(message, 400, "Missing Content-Length"u8, output, source: source);
                return true;
            case SipFramingError.InvalidContentLength:
                Build(message, 400, "Bad Content-Length"u8, output, source: source);
                return true;
            case SipFramingError.BodyTooLarge:
                Build(message, 413, "Request Entity Too Large"u8, output, source: source);
                return true;
            default:
                return false;
        }
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

    /// <summary>
    /// Writes a response to <paramref name="request"/> built from its headers straight into <paramref name="output"/>
    /// (no reply string is built). The reason phrase is <paramref name="reason"/>, then, when given,
    /// <paramref name="reasonName"/> and " Header".
    /// </summary>
    private void Build(SipMessageHead request, int statusCode, ReadOnlySpan<byte> reason, IBufferWriter<byte> output, string? reasonName = null, bool withAllow = false, IPEndPoint? source = null)
    {
        output.Write("SIP/2.0 "u8);
        if (!statusCode.TryFormat(output.GetSpan(11), out int digits, provider: CultureInfo.InvariantCulture))
        {
            throw new UnreachableException("an int takes at most 11 bytes");
        }

        output.Advance(digits);
        output.Write(" "u8);
        output.Write(reason);
        if (reasonName is not null)
        {
            Write(output, reasonName);
            output.Write(" Header"u8);
        }

        output.Write("\r\n"u8);
        bool top = true;
        foreach (SipHeaderField header in request.Headers)
        {
            if (header.Name == SipHeaderNames.Via)
            {
                WriteHeader(output, SipHeaderNames.Via, top && source is not null ? ViaSourceParameters.Apply(header.Value, source) : header.Value);
                top = false;
            }
        }

        string? from = request.First(SipHeaderNames.From);
        string? to = request.First(SipHeaderNames.To);
        string? callId = request.First(SipHeaderNames.CallId);
        string? cseq = request.First(SipHeaderNames.CSeq);
        WriteHeader(output, SipHeaderNames.From, from);
        if (to is not null)
        {
            Write(output, SipHeaderNames.To);
            output.Write(": "u8);
            Write(output, to);
            if (!HasTag(to))
            {
                output.Write(";tag="u8);
                Write(output, _tags.TagFor(callId, from, cseq, request.First(SipHeaderNames.Via)));
            }

            output.Write("\r\n"u8);
        }

        WriteHeader(output, SipHeaderNames.CallId, callId);
        WriteHeader(output, SipHeaderNames.CSeq, cseq);
        if (withAllow)
        {
            WriteHeader(output, "Allow", AllowedMethods);
        }

        WriteHeader(output, "Server", ProductName);
        output.Write("Content-Length: 0\r\n\r\n"u8);
    }

    private static void WriteHeader(IBufferWriter<byte> output, string name, string? value)
    {
        if (value is not null)
        {
            Write(output, name);
            output.Write(": "u8);
            Write(output, value);
            output.Write("\r\n"u8);
        }
    }

    private static void Write(IBufferWriter<byte> output, string text) => Encoding.UTF8.GetBytes(text, output);
}
