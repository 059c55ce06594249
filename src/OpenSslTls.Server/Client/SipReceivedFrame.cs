using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.SipEndpoint.Client;

/// <summary>A frame the client received, copied out of the framer: a message's full text, or a pong.</summary>
internal sealed record SipReceivedFrame(SipFrameKind Kind, string Text);
