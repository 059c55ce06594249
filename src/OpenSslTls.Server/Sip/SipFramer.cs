using System.Buffers;

namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// Cuts a SIP byte stream (TCP/TLS plaintext) into messages, as RFC 3261 §18.3 prescribes for stream transports: a
/// header section up to CRLFCRLF, then exactly Content-Length body bytes (full or compact <c>l:</c> name; mandatory).
/// Handles any split of the stream, pipelined messages, and RFC 5626 CRLF keep-alives. Pure: no I/O, no clock, no
/// logging; the only state is the bytes it was given, so it can be fuzzed on its own.
/// <para>
/// Use: <see cref="Append"/> what arrived, then call <see cref="TryRead"/> until it returns false. Once it returns an
/// <see cref="SipFrameKind.Invalid"/> frame the framer is finished: the stream has lost sync and must be closed.
/// </para>
/// <para>
/// Memory: the buffer comes from an <see cref="ArrayPool{T}"/> and goes back whenever everything buffered has been
/// framed, so an idle connection holds none; it is cleared first, as it held plaintext. Scanning resumes where it stopped, so a header section that trickles
/// in byte by byte costs linear, not quadratic, time.
/// </para>
/// </summary>
internal sealed class SipFramer : IDisposable
{
    private const int MinimumBufferSize = 4096;

    // Bytes no header section may hold (RFC 3261 §25: CR and LF only as line ends, HTAB as whitespace; UTF-8 above 0x7F is fine).
    private static readonly SearchValues<byte> s_forbiddenHeaderBytes = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    private readonly SipFramingLimits _limits;
    private readonly ArrayPool<byte> _pool;
    private byte[]? _buffer;
    private int _start;
    private int _end;

    // Bytes after _start already searched for CRLFCRLF and checked for forbidden bytes.
    private int _scanned;

    // Once a header section was found but its body has not all arrived: its length and the body's; -1 otherwise.
    private int _pendingHeaderLength = -1;
    private int _pendingBodyLength;
    private SipFramingError _error;

    public SipFramer(SipFramingLimits limits, ArrayPool<byte>? pool = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        _limits = limits;
        _pool = pool ?? ArrayPool<byte>.Shared;
    }

    /// <summary>Bytes appended but not yet returned as frames.</summary>
    public int BufferedBytes => _end - _start;

    /// <summary>Whether the pooled buffer is held right now (false whenever nothing is buffered).</summary>
    public bool HoldsBuffer => _buffer is not null;

    /// <summary>Why framing stopped; <see cref="SipFramingError.None"/> while the stream is healthy.</summary>
    public SipFramingError Error => _error;

    /// <summary>Adds received bytes. Invalidates frames returned before. Ignored once the framer has failed.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_start < 0, this);
        if (data.IsEmpty || _error != SipFramingError.None)
        {
            return;
        }

        data.CopyTo(GetAppendSpan(data.Length));
        _end += data.Length;
    }

    /// <summary>
    /// The free space after the buffered bytes, at least <paramref name="minimumFree"/> long, for writing received bytes
    /// in place (the server decrypts straight into it); then <see cref="CommitAppend"/> what was written. Invalidates
    /// frames returned before. Empty once the framer has failed: nothing more is read.
    /// </summary>
    public Span<byte> GetAppendSpan(int minimumFree)
    {
        ObjectDisposedException.ThrowIf(_start < 0, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumFree);
        if (_error != SipFramingError.None)
        {
            return [];
        }

        int buffered = _end - _start;
        if (_buffer is null)
        {
            _buffer = _pool.Rent(Math.Max(MinimumBufferSize, minimumFree));
        }
        else if (_buffer.Length - _end < minimumFree)
        {
            // Move the unframed tail to the front, into a bigger array if it still does not fit.
            byte[] target = _buffer.Length - buffered >= minimumFree ? _buffer : _pool.Rent(Math.Max(_buffer.Length * 2, checked(buffered + minimumFree)));
            _buffer.AsSpan(_start, buffered).CopyTo(target);
            if (ReferenceEquals(target, _buffer))
            {
                // The slid-over bytes past the new end are plaintext of framed messages: clear them like a released buffer.
                _buffer.AsSpan(buffered, _end - buffered).Clear();
            }
            else
            {
                ReturnBuffer(_end);
                _buffer = target;
            }

            _start = 0;
            _end = buffered;
        }

        return _buffer.AsSpan(_end);
    }

    /// <summary>Adds the first <paramref name="count"/> bytes of the span <see cref="GetAppendSpan"/> handed out.</summary>
    public void CommitAppend(int count)
    {
        ObjectDisposedException.ThrowIf(_start < 0, this);
        if (count == 0)
        {
            return;
        }

        if (count < 0 || _buffer is null || count > _buffer.Length - _end)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Committed past the span that was handed out.");
        }

        _end += count;
    }

    /// <summary>
    /// Returns the next complete frame, or false when more bytes are needed (or after the framer failed). The frame's
    /// bytes stay valid until the next call to any member.
    /// </summary>
    public bool TryRead(out SipFrame frame)
    {
        ObjectDisposedException.ThrowIf(_start < 0, this);
        frame = default;
        if (_error != SipFramingError.None)
        {
            return false;
        }

        while (true)
        {
            int available = _end - _start;
            if (available == 0)
            {
                ReleaseBuffer();
                return false;
            }

            ReadOnlySpan<byte> data = _buffer.AsSpan(_start, available);
            if (_pendingHeaderLength >= 0)
            {
                return TryCompleteMessage(out frame);
            }

            if (_scanned == 0)
            {
                // Between messages: CRLFs are keep-alives or ignorable empty lines, anything else must start a message.
                switch (ReadBetweenMessages(data, out int skip, out SipFrameKind? keepAlive))
                {
                    case BetweenMessages.NeedMore:
                        return false;
                    case BetweenMessages.Skip:
                        _start += skip;
                        continue;
                    case BetweenMessages.KeepAlive:
                        _start += skip;
                        frame = new SipFrame(keepAlive!.Value, ReadOnlyMemory<byte>.Empty, 0, SipFramingError.None);
                        return true;
                    case BetweenMessages.Garbage:
                        frame = Fail(SipFramingError.Malformed, 0);
                        return true;
                    default:
                        break;
                }
            }

            // Search only the new bytes (less 3, in case CRLFCRLF straddles the old end).
            int searchFrom = Math.Max(0, _scanned - 3);
            int found = data[searchFrom..].IndexOf("\r\n\r\n"u8);
            int headerEnd = found < 0 ? available : searchFrom + found;
            if (data[_scanned..Math.Max(_scanned, headerEnd)].ContainsAny(s_forbiddenHeaderBytes))
            {
                frame = Fail(SipFramingError.Malformed, 0);
                return true;
            }

            if (found < 0)
            {
                _scanned = available;
                if (available >= _limits.MaxHeaderBytes)
                {
                    frame = Fail(SipFramingError.HeaderTooLarge, 0);
                    return true;
                }

                return false;
            }

            int headerLength = headerEnd + 4;
            if (headerLength > _limits.MaxHeaderBytes)
            {
                frame = Fail(SipFramingError.HeaderTooLarge, 0);
                return true;
            }

            SipFramingError tooMany = SipHeaderCounts.Check(data[..headerLength], _limits);
            if (tooMany != SipFramingError.None)
            {
                frame = Fail(tooMany, 0);
                return true;
            }

            ContentLength contentLength = SipContentLength.Find(data[..headerLength]);
            SipFramingError error = contentLength.Status switch
            {
                ContentLengthStatus.Missing => SipFramingError.MissingContentLength,
                ContentLengthStatus.Invalid => SipFramingError.InvalidContentLength,
                _ when contentLength.Value > _limits.MaxBodyBytes => SipFramingError.BodyTooLarge,
                _ => SipFramingError.None,
            };
            if (error != SipFramingError.None)
            {
                frame = Fail(error, headerLength);
                return true;
            }

            _pendingHeaderLength = headerLength;
            _pendingBodyLength = (int)contentLength.Value;
            return TryCompleteMessage(out frame);
        }
    }

    /// <summary>Returns the buffer to the pool. Further use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        ReleaseBuffer();
        _start = -1;
        _end = -1;
    }

    private enum BetweenMessages
    {
        StartOfMessage,
        NeedMore,
        Skip,
        KeepAlive,
        Garbage,
    }

    private BetweenMessages ReadBetweenMessages(ReadOnlySpan<byte> data, out int skip, out SipFrameKind? keepAlive)
    {
        skip = 0;
        keepAlive = null;
        byte first = data[0];
        if (first == (byte)'\n')
        {
            // A bare LF between messages: tolerated like an empty line (lenient stacks send them).
            skip = 1;
            return BetweenMessages.Skip;
        }

        if (first != (byte)'\r')
        {
            return SipSyntax.IsTokenByte(first) ? BetweenMessages.StartOfMessage : BetweenMessages.Garbage;
        }

        if (data.Length < 2)
        {
            return BetweenMessages.NeedMore;
        }

        if (data[1] != (byte)'\n')
        {
            return BetweenMessages.Garbage;
        }

        if (_limits.KeepAliveRole == SipKeepAliveRole.SendsPings)
        {
            skip = 2;
            keepAlive = SipFrameKind.Pong;
            return BetweenMessages.KeepAlive;
        }

        // A server must see whether a second CRLF follows: CRLFCRLF is a ping, a lone CRLF an ignorable empty line.
        if (data.Length < 3)
        {
            return BetweenMessages.NeedMore;
        }

        if (data[2] != (byte)'\r')
        {
            skip = 2;
            return BetweenMessages.Skip;
        }

        if (data.Length < 4)
        {
            return BetweenMessages.NeedMore;
        }

        if (data[3] != (byte)'\n')
        {
            return BetweenMessages.Garbage;
        }

        skip = 4;
        keepAlive = SipFrameKind.Ping;
        return BetweenMessages.KeepAlive;
    }

    private bool TryCompleteMessage(out SipFrame frame)
    {
        int total = _pendingHeaderLength + _pendingBodyLength;
        if (_end - _start < total)
        {
            frame = default;
            return false;
        }

        frame = new SipFrame(SipFrameKind.Message, _buffer.AsMemory(_start, total), _pendingHeaderLength, SipFramingError.None);
        _start += total;
        _scanned = 0;
        _pendingHeaderLength = -1;
        _pendingBodyLength = 0;
        return true;
    }

    private SipFrame Fail(SipFramingError error, int headerLength)
    {
        _error = error;
        ReadOnlyMemory<byte> header = headerLength > 0 ? _buffer.AsMemory(_start, headerLength) : ReadOnlyMemory<byte>.Empty;
        return new SipFrame(SipFrameKind.Invalid, header, headerLength, error);
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null)
        {
            ReturnBuffer(_end);
            _buffer = null;
        }

        _start = 0;
        _end = 0;
        _scanned = 0;
    }

    /// <summary>Clears the bytes ever used (SIP plaintext, which the pool's next user must not see) and returns the array.</summary>
    private void ReturnBuffer(int used)
    {
        _buffer.AsSpan(0, used).Clear();
        _pool.Return(_buffer!);
    }
}
