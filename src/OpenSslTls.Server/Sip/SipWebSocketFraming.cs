namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// Frames the SIP message carried by one WebSocket message (RFC 7118 §5: one SIP message per text or binary message,
/// never more). The WebSocket message already delimits it, so Content-Length may be left out (the body is the rest of
/// the message); when present it must match what the message carries. Everything else (forbidden bytes, header and
/// body limits, field counts, folding) is checked by the stream <see cref="SipFramer"/>, so a message is judged exactly
/// as over TLS. Pure: no I/O, no clock.
/// </summary>
internal static class SipWebSocketFraming
{
    /// <summary>
    /// The longest WebSocket message that can hold a SIP message within <paramref name="limits"/>: the header and body
    /// limits, and the CRLFs a sender may put before its message.
    /// </summary>
    public static int MaxMessageBytes(SipFramingLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return limits.MaxHeaderBytes + limits.MaxBodyBytes + 4;
    }

    /// <summary>
    /// The frame in <paramref name="message"/>: a <see cref="SipFrameKind.Message"/>, a keep-alive
    /// <see cref="SipFrameKind.Ping"/> (CRLFCRLF, as SIP.js sends them), or <see cref="SipFrameKind.Invalid"/> with the
    /// reason (and the header section when one was complete, so a 400 or 413 can be addressed); null for a message of
    /// nothing but line ends (nothing to answer). The frame's bytes are slices of <paramref name="message"/>.
    /// </summary>
    public static SipFrame? Frame(ReadOnlyMemory<byte> message, SipFramingLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        using var framer = new SipFramer(limits);
        framer.Append(message.Span);
        if (!framer.TryRead(out SipFrame frame))
        {
            // The framer wants more: the message ended inside a header section, or before its Content-Length body.
            int start = message.Length - framer.BufferedBytes;
            if (OnlyLineEnds(message.Span[start..]))
            {
                return null; // nothing but line ends (a lone CRLF keep-alive, as over TLS ignorable)
            }

            int headerEnd = message.Span[start..].IndexOf("\r\n\r\n"u8);
            return headerEnd < 0
                ? Invalid(SipFramingError.Malformed)
                : Invalid(SipFramingError.InvalidContentLength, message.Slice(start, headerEnd + 4));
        }

        switch (frame.Kind)
        {
            case SipFrameKind.Message:
            {
                int rest = framer.BufferedBytes;
                int start = message.Length - rest - frame.Bytes.Length;
                ReadOnlyMemory<byte> bytes = message.Slice(start, frame.Bytes.Length);
                return rest == 0 || OnlyLineEnds(message.Span[^rest..])
                    ? new SipFrame(SipFrameKind.Message, bytes, frame.HeaderLength, SipFramingError.None)
                    : Invalid(SipFramingError.InvalidContentLength, bytes[..frame.HeaderLength]); // a body longer than Content-Length, or a second message
            }

            case SipFrameKind.Ping:
                return framer.BufferedBytes == 0 ? frame : Invalid(SipFramingError.Malformed);
            case SipFrameKind.Invalid when frame.HeaderLength > 0:
            {
                int start = message.Length - framer.BufferedBytes;
                ReadOnlyMemory<byte> header = message.Slice(start, frame.HeaderLength);
                if (frame.Error != SipFramingError.MissingContentLength)
                {
                    return Invalid(frame.Error, header);
                }

                // No Content-Length: the WebSocket message's end is the body's end (RFC 7118 §5).
                ReadOnlyMemory<byte> whole = message[start..];
                return whole.Length - frame.HeaderLength > limits.MaxBodyBytes
                    ? Invalid(SipFramingError.BodyTooLarge, header)
                    : new SipFrame(SipFrameKind.Message, whole, frame.HeaderLength, SipFramingError.None);
            }

            default:
                return Invalid(frame.Error == SipFramingError.None ? SipFramingError.Malformed : frame.Error);
        }
    }

    /// <summary>
    /// The frame for a WebSocket message longer than <see cref="MaxMessageBytes"/>, of which <paramref name="prefix"/>
    /// arrived: <see cref="SipFramingError.BodyTooLarge"/> with the header section when it is complete and within the
    /// header limit (so a 413 can be sent), else <see cref="SipFramingError.HeaderTooLarge"/>.
    /// </summary>
    public static SipFrame Oversized(ReadOnlyMemory<byte> prefix, SipFramingLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ReadOnlySpan<byte> span = prefix.Span;
        int skip = 0;
        while (skip < span.Length && span[skip] is (byte)'\r' or (byte)'\n')
        {
            skip++;
        }

        int headerEnd = span[skip..].IndexOf("\r\n\r\n"u8);
        return headerEnd >= 0 && headerEnd + 4 <= limits.MaxHeaderBytes
            ? Invalid(SipFramingError.BodyTooLarge, prefix.Slice(skip, headerEnd + 4))
            : Invalid(SipFramingError.HeaderTooLarge);
    }

    private static bool OnlyLineEnds(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)'\r', (byte)'\n') < 0;

    private static SipFrame Invalid(SipFramingError error, ReadOnlyMemory<byte> header = default) =>
        new(SipFrameKind.Invalid, header, header.Length, error);
}
