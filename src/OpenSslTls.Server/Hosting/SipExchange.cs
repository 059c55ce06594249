using System.Buffers;
using System.Net;
using Microsoft.Extensions.Logging;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// What the endpoint does with one frame, whatever carried it (a TLS stream, a WebSocket message): a keep-alive ping
/// gets its CRLF pong, a message its response, an unframable message its last word (400, 413) when it can be
/// addressed. Shared by <see cref="SipServerConnection"/> and the WebSocket sessions, so both answer alike.
/// </summary>
internal static class SipExchange
{
    /// <summary>Writes the answer to <paramref name="frame"/> (if any) into <paramref name="replies"/>.</summary>
    public static void Answer(in SipFrame frame, SipResponder responder, IBufferWriter<byte> replies, EndPoint? remote, ILogger logger, long connectionId)
    {
        switch (frame.Kind)
        {
            case SipFrameKind.Ping:
                replies.Write("\r\n"u8);
                break;
            case SipFrameKind.Message:
                SipMessageHead? head = SipMessageHead.TryParse(frame.Header.Span, out string? problem);
                if (head is null)
                {
                    // Framed correctly but unparsable: nothing to address a reply to, and the stream is still in sync.
                    ServerLog.Exchanged(logger, connectionId, remote, "ignored a message: " + problem);
                }
                else
                {
                    responder.Respond(head, replies, remote as IPEndPoint);
                }

                break;
            case SipFrameKind.Invalid:
                responder.RespondToUnframable(frame, replies, remote as IPEndPoint);
                break;
            default:
                break;
        }
    }

    /// <summary>The operator's words for a framing error, naming the limit that was exceeded.</summary>
    public static string Describe(SipFramingError error, SipFramingLimits limits) => error switch
    {
        SipFramingError.Malformed => "bytes that are not SIP",
        SipFramingError.HeaderTooLarge => "header section too large",
        SipFramingError.MissingContentLength => "no Content-Length (mandatory over TLS, RFC 3261 §18.3)",
        SipFramingError.InvalidContentLength => "bad Content-Length",
        SipFramingError.BodyTooLarge => "body too large",
        SipFramingError.TooManyHeaderFields => $"more than {limits.MaxHeaderFields} header fields (MaxHeaderFields)",
        SipFramingError.TooManyContinuationLines => $"a header folded over more than {limits.MaxContinuationLines} continuation lines (MaxContinuationLines)",
        _ => error.ToString(),
    };
}
