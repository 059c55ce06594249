using System.Buffers;
using System.Globalization;
using System.Text;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>The SIP stream framer on its own: no sockets, no TLS.</summary>
public class SipFramerTests
{
    private const string Options = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n";

    [Fact]
    public void A_message_with_Content_Length_zero_is_one_frame()
    {
        List<(SipFrameKind Kind, string Text)> frames = Frame(Options);
        Assert.Equal([(SipFrameKind.Message, Options)], frames);
    }

    [Theory]
    [InlineData("Content-Length: 5")]
    [InlineData("content-length:5")]
    [InlineData("l: 5")]
    [InlineData("L :5")]
    [InlineData("Content-Length:\r\n  5")]
    [InlineData("Content-Length: 5\r\nl: 5")]
    public void The_body_length_comes_from_Content_Length_in_any_spelling(string header)
    {
        string message = $"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\n{header}\r\n\r\nhello";
        List<(SipFrameKind Kind, string Text)> frames = Frame(message + Options);
        Assert.Equal([(SipFrameKind.Message, message), (SipFrameKind.Message, Options)], frames);
    }

    [Fact]
    public void A_body_may_contain_CRLFCRLF_and_binary_bytes()
    {
        byte[] body = [0, 1, 13, 10, 13, 10, 255, 127];
        byte[] message = [.. Encoding.ASCII.GetBytes($"INFO sip:a@b SIP/2.0\r\nl: {body.Length}\r\n\r\n"), .. body];
        using var framer = new SipFramer(new SipFramingLimits());
        framer.Append(message);
        Assert.True(framer.TryRead(out SipFrame frame));
        Assert.Equal(SipFrameKind.Message, frame.Kind);
        Assert.Equal(body, frame.Body.ToArray());
        Assert.False(framer.TryRead(out _));
    }

    [Fact]
    public void Pipelined_messages_in_one_chunk_are_separate_frames()
    {
        List<(SipFrameKind Kind, string Text)> frames = Frame(Options + Options + Options);
        Assert.Equal(3, frames.Count);
        Assert.All(frames, frame => Assert.Equal((SipFrameKind.Message, Options), frame));
    }

    [Fact]
    public void Every_split_of_the_stream_gives_the_same_frames()
    {
        string message = "MESSAGE sip:a@b SIP/2.0\r\nl: 4\r\n\r\nbody";
        string stream = Options + "\r\n\r\n" + message + "\r\n" + Options;
        List<(SipFrameKind, string)> expected = [(SipFrameKind.Message, Options), (SipFrameKind.Ping, ""), (SipFrameKind.Message, message), (SipFrameKind.Message, Options)];
        byte[] bytes = Encoding.ASCII.GetBytes(stream);
        for (int first = 0; first <= bytes.Length; first++)
        {
            for (int second = first; second <= bytes.Length; second += 7)
            {
                List<(SipFrameKind, string)> frames = FrameChunks(bytes[..first], bytes[first..second], bytes[second..]);
                Assert.Equal(expected, frames);
            }
        }
    }

    [Fact]
    public void A_stream_fed_one_byte_at_a_time_frames_completely()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(Options + Options);
        List<(SipFrameKind, string)> frames = FrameChunks([.. bytes.Select(b => new[] { b })]);
        Assert.Equal([(SipFrameKind.Message, Options), (SipFrameKind.Message, Options)], frames);
    }

    [Fact]
    public void CRLFCRLF_between_messages_is_a_ping_and_a_lone_CRLF_is_ignored()
    {
        Assert.Equal([(SipFrameKind.Ping, "")], Frame("\r\n\r\n"));
        Assert.Equal([(SipFrameKind.Ping, ""), (SipFrameKind.Ping, "")], Frame("\r\n\r\n\r\n\r\n"));
        Assert.Equal([(SipFrameKind.Message, Options)], Frame("\r\n" + Options));
        Assert.Equal([(SipFrameKind.Message, Options), (SipFrameKind.Ping, "")], Frame(Options + "\r\n\r\n"));
    }

    [Fact]
    public void A_lone_CRLF_waits_for_the_next_bytes_before_deciding()
    {
        using var framer = new SipFramer(new SipFramingLimits());
        framer.Append("\r\n"u8);
        Assert.False(framer.TryRead(out _));
        framer.Append("\r"u8);
        Assert.False(framer.TryRead(out _));
        framer.Append("\n"u8);
        Assert.True(framer.TryRead(out SipFrame frame));
        Assert.Equal(SipFrameKind.Ping, frame.Kind);
    }

    [Fact]
    public void A_pinging_client_sees_every_CRLF_as_a_pong()
    {
        var limits = new SipFramingLimits { KeepAliveRole = SipKeepAliveRole.SendsPings };
        Assert.Equal([(SipFrameKind.Pong, ""), (SipFrameKind.Message, Options)], Frame("\r\n" + Options, limits));
    }

    [Fact]
    public void No_Content_Length_fails_with_the_header_section_kept_for_a_400()
    {
        string header = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n";
        using var framer = new SipFramer(new SipFramingLimits());
        framer.Append(Encoding.ASCII.GetBytes(header + "body"));
        Assert.True(framer.TryRead(out SipFrame frame));
        Assert.Equal(SipFrameKind.Invalid, frame.Kind);
        Assert.Equal(SipFramingError.MissingContentLength, frame.Error);
        Assert.Equal(header, Encoding.ASCII.GetString(frame.Header.Span));
        Assert.False(framer.TryRead(out _));
        framer.Append(Encoding.ASCII.GetBytes(Options));
        Assert.False(framer.TryRead(out _));
        Assert.Equal(SipFramingError.MissingContentLength, framer.Error);
    }

    [Theory]
    [InlineData("Content-Length: abc")]
    [InlineData("Content-Length: -1")]
    [InlineData("Content-Length: 1 2")]
    [InlineData("Content-Length:")]
    [InlineData("Content-Length: 5\r\nl: 6")]
    public void A_bad_or_contradictory_Content_Length_fails(string header)
    {
        (SipFrameKind kind, SipFramingError error) = FirstFrame($"MESSAGE sip:a@b SIP/2.0\r\n{header}\r\n\r\nhello");
        Assert.Equal((SipFrameKind.Invalid, SipFramingError.InvalidContentLength), (kind, error));
    }

    [Fact]
    public void A_body_over_the_limit_fails_before_it_arrives()
    {
        var limits = new SipFramingLimits { MaxBodyBytes = 100 };
        Assert.Equal((SipFrameKind.Invalid, SipFramingError.BodyTooLarge), FirstFrame("MESSAGE sip:a@b SIP/2.0\r\nl: 101\r\n\r\n", limits));
        Assert.Equal((SipFrameKind.Invalid, SipFramingError.BodyTooLarge), FirstFrame("MESSAGE sip:a@b SIP/2.0\r\nl: 99999999999999999999999\r\n\r\n", limits));
        Assert.Equal((SipFrameKind.Message, SipFramingError.None), FirstFrame("MESSAGE sip:a@b SIP/2.0\r\nl: 100\r\n\r\n" + new string('x', 100), limits));
    }

    [Fact]
    public void A_header_section_over_the_limit_fails_whether_or_not_it_ends()
    {
        var limits = new SipFramingLimits { MaxHeaderBytes = 256 };
        string big = "OPTIONS sip:a@b SIP/2.0\r\nX-Filler: " + new string('a', 300);
        Assert.Equal((SipFrameKind.Invalid, SipFramingError.HeaderTooLarge), FirstFrame(big, limits));
        Assert.Equal((SipFrameKind.Invalid, SipFramingError.HeaderTooLarge), FirstFrame(big + "\r\nl: 0\r\n\r\n", limits));
        string exact = "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\nX: ";
        exact += new string('a', 256 - exact.Length - 4) + "\r\n\r\n";
        Assert.Equal(256, exact.Length);
        Assert.Equal((SipFrameKind.Message, SipFramingError.None), FirstFrame(exact, limits));
    }

    [Fact]
    public void An_unterminated_header_section_is_buffered_up_to_the_limit_only()
    {
        var limits = new SipFramingLimits { MaxHeaderBytes = 1024 };
        using var framer = new SipFramer(limits);
        framer.Append("OPTIONS sip:a@b SIP/2.0\r\n"u8);
        for (int i = 0; i < 200 && framer.Error == SipFramingError.None; i++)
        {
            framer.Append("X-Header: value\r\n"u8);
            if (framer.TryRead(out SipFrame frame))
            {
                Assert.Equal(SipFramingError.HeaderTooLarge, frame.Error);
            }
        }

        Assert.Equal(SipFramingError.HeaderTooLarge, framer.Error);
    }

    [Theory]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x10 })]
    [InlineData(new byte[] { (byte)'O', (byte)'P', 0x00, (byte)'T' })]
    [InlineData(new byte[] { (byte)'<', (byte)'x' })]
    [InlineData(new byte[] { (byte)'\r', (byte)'x' })]
    [InlineData(new byte[] { (byte)'\r', (byte)'\n', (byte)'\r', (byte)'x' })]
    public void Binary_garbage_fails_at_once(byte[] garbage)
    {
        using var framer = new SipFramer(new SipFramingLimits());
        framer.Append(garbage);
        Assert.True(framer.TryRead(out SipFrame frame));
        Assert.Equal((SipFrameKind.Invalid, SipFramingError.Malformed), (frame.Kind, frame.Error));
    }

    [Fact]
    public void Random_bytes_never_crash_and_always_end_or_wait()
    {
        var random = new Random(5061);
        var limits = new SipFramingLimits { MaxHeaderBytes = 512, MaxBodyBytes = 512 };
        for (int round = 0; round < 2000; round++)
        {
            using var framer = new SipFramer(limits);
            byte[] chunk = new byte[random.Next(1, 64)];
            for (int i = 0; i < 20; i++)
            {
                random.NextBytes(chunk);
                if (random.Next(3) == 0)
                {
                    // Mostly-text rounds reach the deeper states (header scanning, Content-Length parsing).
                    ReadOnlySpan<byte> start = "OPTIONS sip:x SIP/2.0\r\nl: 3\r\n\r\n"u8;
                    start[..Math.Min(chunk.Length, start.Length)].CopyTo(chunk);
                }

                framer.Append(chunk);
                while (framer.TryRead(out SipFrame frame))
                {
                    Assert.True(frame.Bytes.Length <= limits.MaxHeaderBytes + limits.MaxBodyBytes);
                }

                Assert.True(framer.BufferedBytes <= limits.MaxHeaderBytes + limits.MaxBodyBytes + chunk.Length);
            }
        }
    }

    [Fact]
    public void The_buffer_goes_back_to_the_pool_once_everything_is_framed()
    {
        var pool = new CountingPool();
        using (var framer = new SipFramer(new SipFramingLimits(), pool))
        {
            framer.Append(Encoding.ASCII.GetBytes(Options[..20]));
            Assert.False(framer.TryRead(out _));
            Assert.True(framer.HoldsBuffer);
            framer.Append(Encoding.ASCII.GetBytes(Options[20..]));
            Assert.True(framer.TryRead(out _));
            Assert.False(framer.TryRead(out _));
            Assert.False(framer.HoldsBuffer);
        }

        Assert.Equal(pool.Rented, pool.Returned);
    }

    [Fact]
    public void Growing_past_the_first_buffer_keeps_the_bytes()
    {
        string body = new('b', 20_000);
        string message = $"MESSAGE sip:a@b SIP/2.0\r\nl: {body.Length}\r\n\r\n{body}";
        byte[] bytes = Encoding.ASCII.GetBytes(message + Options);
        List<(SipFrameKind, string)> frames = FrameChunks(bytes.Chunk(3000).ToArray());
        Assert.Equal([(SipFrameKind.Message, message), (SipFrameKind.Message, Options)], frames);
    }

    private static List<(SipFrameKind Kind, string Text)> Frame(string stream, SipFramingLimits? limits = null) =>
        FrameChunks(limits, Encoding.ASCII.GetBytes(stream));

    private static List<(SipFrameKind Kind, string Text)> FrameChunks(params byte[][] chunks) => FrameChunks(null, chunks);

    private static List<(SipFrameKind Kind, string Text)> FrameChunks(SipFramingLimits? limits, params byte[][] chunks)
    {
        using var framer = new SipFramer(limits ?? new SipFramingLimits());
        var frames = new List<(SipFrameKind, string)>();
        foreach (byte[] chunk in chunks)
        {
            framer.Append(chunk);
            while (framer.TryRead(out SipFrame frame))
            {
                Assert.NotEqual(SipFrameKind.Invalid, frame.Kind);
                frames.Add((frame.Kind, Encoding.ASCII.GetString(frame.Bytes.Span)));
            }
        }

        Assert.Equal(0, framer.BufferedBytes);
        return frames;
    }

    private static (SipFrameKind Kind, SipFramingError Error) FirstFrame(string stream, SipFramingLimits? limits = null)
    {
        using var framer = new SipFramer(limits ?? new SipFramingLimits());
        framer.Append(Encoding.ASCII.GetBytes(stream));
        Assert.True(framer.TryRead(out SipFrame frame), "expected a frame");
        return (frame.Kind, frame.Error);
    }

    [Theory]
    [InlineData(3, 64, 3, 0, nameof(SipFramingError.None))]
    [InlineData(3, 64, 4, 0, nameof(SipFramingError.TooManyHeaderFields))]
    [InlineData(256, 2, 1, 2, nameof(SipFramingError.None))]
    [InlineData(256, 2, 1, 3, nameof(SipFramingError.TooManyContinuationLines))]
    public void Header_fields_and_continuation_lines_over_their_caps_end_the_stream(int maxFields, int maxContinuations, int fields, int continuations, string expectedError)
    {
        SipFramingError expected = Enum.Parse<SipFramingError>(expectedError);
        // The fields include Content-Length; the continuations fold the first field, before it.
        var header = new StringBuilder("OPTIONS sip:a@b SIP/2.0\r\nSubject: a\r\n");
        header.Insert(header.Length, " b\r\n", continuations);
        for (int i = 2; i < fields; i++)
        {
            header.Append(CultureInfo.InvariantCulture, $"X-{i}: {i}\r\n");
        }

        string message = header.Append("l: 0\r\n\r\n").ToString();
        (SipFrameKind kind, SipFramingError error) = FirstFrame(message, new SipFramingLimits { MaxHeaderFields = maxFields, MaxContinuationLines = maxContinuations });
        Assert.Equal(expected, error);
        Assert.Equal(expected == SipFramingError.None ? SipFrameKind.Message : SipFrameKind.Invalid, kind);
    }

    [Fact]
    public void Bytes_written_in_place_frame_like_appended_ones_in_any_split()
    {
        string stream = Options + "\r\n\r\n" + Options;
        byte[] bytes = Encoding.ASCII.GetBytes(stream);
        foreach (int split in (int[])[1, 7, Options.Length, bytes.Length])
        {
            using var framer = new SipFramer(new SipFramingLimits());
            var frames = new List<(SipFrameKind, string)>();
            for (int offset = 0; offset < bytes.Length; offset += split)
            {
                int count = Math.Min(split, bytes.Length - offset);
                Span<byte> free = framer.GetAppendSpan(count);
                Assert.True(free.Length >= count);
                bytes.AsSpan(offset, count).CopyTo(free);
                framer.CommitAppend(count);
                while (framer.TryRead(out SipFrame frame))
                {
                    frames.Add((frame.Kind, Encoding.ASCII.GetString(frame.Bytes.Span)));
                }
            }

            Assert.Equal([(SipFrameKind.Message, Options), (SipFrameKind.Ping, string.Empty), (SipFrameKind.Message, Options)], frames);
        }
    }

    [Fact]
    public void Committing_more_than_the_free_space_throws_and_a_failed_framer_offers_none()
    {
        using var framer = new SipFramer(new SipFramingLimits());
        int free = framer.GetAppendSpan(10).Length;
        Assert.Throws<ArgumentOutOfRangeException>(() => framer.CommitAppend(free + 1));
        framer.Append("\u0001"u8);
        Assert.True(framer.TryRead(out SipFrame frame));
        Assert.Equal(SipFrameKind.Invalid, frame.Kind);
        Assert.True(framer.GetAppendSpan(10).IsEmpty);
    }

    [Fact]
    public void Plaintext_is_cleared_before_the_buffer_goes_back_to_the_pool_when_it_grows_and_when_it_empties()
    {
        var pool = new CountingPool();
        using var framer = new SipFramer(new SipFramingLimits(), pool);
        byte[] large = Encoding.ASCII.GetBytes(Options + "MESSAGE sip:a@b SIP/2.0\r\nl: 9000\r\n\r\n");
        framer.Append(large);
        framer.Append(Enumerable.Repeat((byte)'x', 9000).ToArray());
        while (framer.TryRead(out _))
        {
        }

        Assert.False(framer.HoldsBuffer);
        Assert.Equal(2, pool.ReturnedArrays.Count);
        Assert.All(pool.ReturnedArrays, array => Assert.True(array.AsSpan().IndexOfAnyExcept((byte)0) < 0, "plaintext left in a pooled array"));
    }

    private sealed class CountingPool : ArrayPool<byte>
    {
        public int Rented { get; private set; }

        public int Returned => ReturnedArrays.Count;

        public List<byte[]> ReturnedArrays { get; } = [];

        public override byte[] Rent(int minimumLength)
        {
            Rented++;
            return new byte[minimumLength];
        }

        public override void Return(byte[] array, bool clearArray = false) => ReturnedArrays.Add(array);
    }
}
