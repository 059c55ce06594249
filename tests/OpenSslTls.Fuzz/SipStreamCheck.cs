using System.Buffers;
using System.Net;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.Fuzz;

/// <summary>
/// The sip fuzz target's check, compiled into the fuzz project and (linked) into the tests, so a replayed seed or
/// finding goes through exactly what the fuzzer ran. Input byte 0 is the chunk size (0 = all at once, else 1..255
/// bytes per <see cref="SipFramer.Append"/>); the rest is the plaintext a client sends to <c>serve</c>. Each framed
/// message is parsed and answered as <c>SipServerConnection</c> does; an <see cref="SipFrameKind.Invalid"/> frame (the
/// framer's documented rejection) gets <see cref="SipResponder.RespondToUnframable"/> and ends the stream. Any
/// exception escaping, or a broken invariant (thrown as <see cref="InvalidOperationException"/>), is a finding.
/// </summary>
internal static class SipStreamCheck
{
    /// <summary>
    /// Smaller than serve's 64 KiB defaults so that inputs of a few KiB reach both limits and their edges; the
    /// framer's code paths are the same for any limit.
    /// </summary>
    public static readonly SipFramingLimits Limits = new() { MaxHeaderBytes = 1024, MaxBodyBytes = 1024 };

    // serve passes the peer's address, which makes the responder rewrite the top Via; a fixed one keeps runs repeatable.
    private static readonly IPEndPoint s_source = new(IPAddress.Parse("192.0.2.7"), 50123);

    public static void Run(ReadOnlySpan<byte> input, SipResponder responder)
    {
        if (input.IsEmpty)
        {
            return;
        }

        int chunk = input[0] == 0 ? int.MaxValue : input[0];
        ReadOnlySpan<byte> stream = input[1..];
        using var framer = new SipFramer(Limits);
        bool ended = false;
        while (!stream.IsEmpty && !ended)
        {
            int length = Math.Min(chunk, stream.Length);
            framer.Append(stream[..length]);
            stream = stream[length..];
            while (!ended && framer.TryRead(out SipFrame frame))
            {
                ended = Answer(framer, frame, responder);
            }
        }

        if (!ended && framer.Error != SipFramingError.None)
        {
            throw new InvalidOperationException($"framer failed with {framer.Error} without returning an Invalid frame");
        }
    }

    /// <summary>Checks one frame and answers it; true when it ended the stream.</summary>
    private static bool Answer(SipFramer framer, SipFrame frame, SipResponder responder)
    {
        switch (frame.Kind)
        {
            case SipFrameKind.Ping:
            case SipFrameKind.Pong:
                Require(frame.Bytes.IsEmpty && frame.Error == SipFramingError.None, $"{frame.Kind} frame with bytes or an error");
                return false;
            case SipFrameKind.Message:
                ReadOnlySpan<byte> header = frame.Header.Span;
                Require(frame.Error == SipFramingError.None, "message frame with an error");
                Require(header.Length <= Limits.MaxHeaderBytes && header.EndsWith("\r\n\r\n"u8), $"message header of {header.Length} bytes not ending in CRLFCRLF");
                Require(frame.Body.Length <= Limits.MaxBodyBytes, $"body of {frame.Body.Length} bytes over the limit");
                SipMessageHead? head = SipMessageHead.TryParse(header, out string? problem);
                Require(head is not null || problem is not null, "unparsable message without a problem");
                var reply = new ArrayBufferWriter<byte>();
                if (head is not null && responder.Respond(head, reply, s_source))
                {
                    CheckReply(reply.WrittenSpan);
                }
                else
                {
                    Require(reply.WrittenCount == 0, "no reply due, but bytes written");
                }

                return false;
            case SipFrameKind.Invalid:
                Require(frame.Error != SipFramingError.None && frame.Error == framer.Error, $"invalid frame with error {frame.Error}, framer {framer.Error}");
                var last = new ArrayBufferWriter<byte>();
                if (responder.RespondToUnframable(frame, last, s_source))
                {
                    CheckReply(last.WrittenSpan);
                }
                else
                {
                    Require(last.WrittenCount == 0, "no last reply due, but bytes written");
                }

                Require(!framer.TryRead(out _), "a frame after the Invalid one");
                return true;
            default:
                throw new InvalidOperationException($"unknown frame kind {frame.Kind}");
        }
    }

    /// <summary>
    /// A reply must itself be one well-framed response: a peer's framer (the client side of this same code) must cut
    /// exactly the whole reply as one message with no body, or what the server wrote would desync the peer.
    /// </summary>
    private static void CheckReply(ReadOnlySpan<byte> bytes)
    {
        using var peer = new SipFramer(new SipFramingLimits { KeepAliveRole = SipKeepAliveRole.SendsPings });
        peer.Append(bytes);
        Require(peer.TryRead(out SipFrame frame), "reply not complete for a peer's framer");
        Require(frame.Kind == SipFrameKind.Message, $"reply framed as {frame.Kind} ({frame.Error})");
        Require(frame.Bytes.Length == bytes.Length && frame.Body.IsEmpty, $"reply framed as {frame.Bytes.Length} of {bytes.Length} bytes, body {frame.Body.Length}");
        SipMessageHead? head = SipMessageHead.TryParse(frame.Header.Span, out string? problem);
        Require(head is { IsRequest: false, StatusCode: >= 100 and <= 699 }, $"reply does not parse as a response: {problem}");
    }

    private static void Require(bool condition, string finding)
    {
        if (!condition)
        {
            throw new InvalidOperationException("sip target: " + finding);
        }
    }
}
