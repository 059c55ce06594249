namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// One frame cut from a SIP stream. For <see cref="SipFrameKind.Message"/>, <see cref="Bytes"/> is the whole message;
/// for <see cref="SipFrameKind.Invalid"/> it is the header section when one was complete (so a 400 can still copy its
/// headers), else empty. The bytes live in the framer's buffer: valid only until its next Append, TryRead or Dispose.
/// </summary>
internal readonly record struct SipFrame(SipFrameKind Kind, ReadOnlyMemory<byte> Bytes, int HeaderLength, SipFramingError Error)
{
    /// <summary>The header section, start line through the final CRLFCRLF.</summary>
    public ReadOnlyMemory<byte> Header => Bytes[..HeaderLength];

    /// <summary>The body (Content-Length bytes; empty for anything but a message).</summary>
    public ReadOnlyMemory<byte> Body => Bytes[HeaderLength..];
}
