using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenSslTls.SipEndpoint.Sip;
using OpenSslTls.Connections;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// One accepted TLS connection: a single async loop reads ciphertext, drives the <see cref="TlsConnection"/>, frames
/// the plaintext into SIP messages, answers them, and writes the result back. Only this loop touches the socket and
/// the TLS state, so nothing needs locking. Between reads the connection holds no buffer: it waits for data with a
/// zero-byte wait, reads without blocking into a buffer rented only for that read, rents its other buffers only while
/// bytes are in flight, and leaves the socket's cached send operation pointing at no buffer when it goes idle.
/// </summary>
internal sealed class SipServerConnection
{
    /// <summary>Ciphertext read per receive: one full TLS record and its overhead.</summary>
    private const int ReceiveBufferSize = 16 * 1024 + 512;

    /// <summary>
    /// Free framer space asked for per decrypt: a small SIP message fits at once; a larger record is taken out of
    /// OpenSSL in slices of this size rather than making every connection's framer buffer a whole record's size.
    /// </summary>
    private const int PlaintextSlice = 4096;

    /// <summary>How long a closing connection may take to send its last bytes (close_notify, a final 400).</summary>
    private static readonly TimeSpan s_closeSendTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long to read and discard after a final reply, so unread input does not turn our FIN into a RST that destroys the reply.</summary>
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly TlsConnection _tls;
    private readonly SipFramer _framer;
    private readonly SipResponder _responder;
    private readonly SipTlsServerOptions _options;
    private readonly ILogger _logger;
    private readonly PooledByteBuffer _output = new(clearOnRelease: false);
    private readonly PooledByteBuffer _replies = new(clearOnRelease: true);
    private readonly SocketReadiness _readiness = new();
    private readonly HandshakeAdmission? _handshakes;
    private HandshakeAdmission.Slot? _handshakeSlot; // held from the accept until the handshake completes or the connection ends
    private bool _handshakeStarted;
    private bool _established;
    private bool _sendHoldsBuffer; // whether the socket's cached send operation may still reference an output buffer
    private long _messageStartedAt; // Stopwatch timestamp of the first bytes of the frame waiting in the framer; 0: none

    // Whether the deadline armed last is the message-read one (not the idle one). Asked instead of the clock when the
    // deadline fires: CancelAfter rounds to whole milliseconds and may fire just before the message-read time is up.
    private bool _messageDeadlineArmed;

    private readonly Action<SipServerConnection>? _ended;

    public SipServerConnection(
        long id, Socket socket, TlsConnection tls, SipResponder responder, SipTlsServerOptions options, ILogger logger, HandshakeAdmission? handshakes = null, HandshakeAdmission.Slot? handshakeSlot = null,
        IPAddress? address = null, Action<SipServerConnection>? ended = null)
    {
        Address = address;
        _ended = ended;
        _handshakes = handshakes;
        _handshakeSlot = handshakeSlot;
        Id = id;
        _socket = socket;
        Remote = socket.RemoteEndPoint;
        _responder = responder;
        _options = options;
        _logger = logger;
        _framer = new SipFramer(options.Framing);
        _tls = tls;

        // Reads are synchronous once the zero-byte wait says the socket is readable (see ServeAsync); non-blocking, so
        // such a read never holds a thread. Asynchronous operations are unaffected.
        socket.Blocking = false;
    }

    /// <summary>The TLS state of the connection (for matching module events to this socket).</summary>
    public TlsConnection Tls => _tls;

    /// <summary>Shuts down the receive side so a pending readiness wait completes (a deadline fired or the server stops).</summary>
    private void EndReceiving()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed or reset: the wait has completed or will with the error.
        }
    }

    /// <summary>The connection's socket (tests).</summary>
    internal Socket Socket => _socket;

    /// <summary>Closes the socket at once (the module killed or expired the connection); the loop then ends.</summary>
    public void CloseSocket() => _socket.Dispose();

    public long Id { get; }

    public EndPoint? Remote { get; }

    /// <summary>The peer's IP address as the per-address limit counted it (null: not counted).</summary>
    public IPAddress? Address { get; }

    /// <summary>
    /// Serves the connection until the peer leaves, it fails, times out, or <paramref name="stopping"/> fires; always
    /// closes and frees everything, logs an unexpected failure instead of throwing it, and calls the server's
    /// <c>ended</c> callback last.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        // Whatever happens below, the finally frees the socket and the native connection at once, not at finalization.
        Ending ending = new("unexpected failure", SayGoodbye: false);
        try
        {
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                deadline.CancelAfter(_options.HandshakeTimeout);

                // The readiness wait takes no token: a deadline or the stop wakes it by ending the receive side (the wait then
                // sees the end of stream, the loop the cancelled token). Sending, and so close_notify, still works after it.
                CancellationTokenRegistration wake = deadline.Token.UnsafeRegister(static state => ((SipServerConnection)state!).EndReceiving(), this);
                try
                {
                    ending = await ServeAsync(deadline).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    ending = new Ending("server stopping", SayGoodbye: true);
                }
                catch (OperationCanceledException)
                {
                    if (_established && _messageDeadlineArmed)
                    {
                        ServerLog.MessageReadTimedOut(_logger, Id, Remote, _options.MessageReadTimeout.TotalSeconds);
                        ending = new Ending("SIP message read timeout", SayGoodbye: true);
                    }
                    else if (_established)
                    {
                        ServerLog.IdleTimedOut(_logger, Id, Remote, IdleLimitSeconds());
                        ending = new Ending("idle timeout", SayGoodbye: true);
                    }
                    else
                    {
                        ServerLog.HandshakeTimedOut(_logger, Id, Remote, _options.HandshakeTimeout.TotalSeconds);
                        ending = new Ending("handshake timeout", SayGoodbye: false);
                    }
                }
                catch (SocketException e)
                {
                    ending = new Ending("socket error: ", SayGoodbye: false, Error: e.SocketErrorCode);
                }
                catch (ObjectDisposedException)
                {
                    ending = new Ending("socket closed", SayGoodbye: false);
                }
                finally
                {
                    // Before closing: a deadline firing now must not end the receive side under the drain.
                    await wake.DisposeAsync().ConfigureAwait(false);
                }

                await CloseAsync(ending, stopping.IsCancellationRequested).ConfigureAwait(false);
            }
            finally
            {
                _handshakeSlot?.Release();
                _socket.Dispose();
                _readiness.Dispose();
                _tls.Dispose();
                _framer.Dispose();
                _output.Release();
                _replies.Release();
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    // Guarded: the reason of a reset ("socket error: ConnectionReset") is formatted only for the line.
                    ServerLog.Closed(_logger, Id, Remote, ending.Reason);
                }
            }
        }
#pragma warning disable CA1031 // One connection's bug must not take the server down; it is logged with its stack.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ServerLog.ConnectionCrashed(_logger, Id, Remote, e);
        }
        finally
        {
            _ended?.Invoke(this);
        }
    }

    private async Task<Ending> ServeAsync(CancellationTokenSource deadline)
    {
        CancellationToken token = deadline.Token;
        while (true)
        {
            // Wait for readability without a buffer, so thousands of idle connections pin no memory: a zero-byte wait
            // (SocketReadiness), then a non-blocking read into a chunk rented only for that read. A stale readiness
            // event can complete the wait with no data (a quarter of idle connections, w4-memory); the read then
            // reports WouldBlock, the chunk goes back and the loop waits again, so no wait ever holds a chunk. Errors
            // come back as values, here and in the read below: a peer that resets is the common end of a connection
            // (phones that vanish, s_time), and a thrown SocketException costs more than a handshake (see SocketReadiness).
            ValueTask<SocketError> readable = _readiness.WaitAsync(_socket);
            if (!readable.IsCompleted && _sendHoldsBuffer)
            {
                // Going idle: the socket's cached send operation still points at the last output buffer (returned to
                // the pool, but kept alive by that reference when the pool dropped it): up to 32 KB per idle
                // connection. An empty send points it at nothing. Only when no data is waiting already, so a busy
                // connection pays no extra system call. Its error, if any, is the pending wait's to report.
                _sendHoldsBuffer = false;
                await ClearCachedSendAsync().ConfigureAwait(false);
            }

            SocketError error = await readable.ConfigureAwait(false);

            // A deadline or the server's stop ends the wait by shutting down the receive side (see RunAsync).
            token.ThrowIfCancellationRequested();
            if (error != SocketError.Success)
            {
                return new Ending("socket error: ", SayGoodbye: false, Error: error);
            }

            byte[] chunk = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
            Received result;
            try
            {
                // Readable now, so read without waiting (the socket is non-blocking).
                int count = _socket.Receive(chunk, 0, chunk.Length, SocketFlags.None, out error);
                if (error == SocketError.WouldBlock)
                {
                    // Readiness without data (a stale readiness event): the chunk goes back and the loop waits again.
                    continue;
                }

                if (error != SocketError.Success)
                {
                    return new Ending("socket error: ", SayGoodbye: false, Error: error);
                }

                if (count == 0)
                {
                    // The end of stream may be our own (EndReceiving): then it is the deadline's or the stop's ending.
                    token.ThrowIfCancellationRequested();
                    return new Ending("peer closed the TCP connection", SayGoodbye: false);
                }

                if (!_handshakeStarted && _handshakes is not null)
                {
                    // The first bytes: from now on the slot counts for the handshake's time, not the shorter silent one.
                    _handshakeStarted = true;
                    _handshakeSlot = _handshakes.Started(_handshakeSlot);
                }

                result = DecryptAndAnswer(chunk.AsSpan(0, count));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            if (result.HandshakeCompleted)
            {
                _established = true;
                _handshakeSlot?.Release();
                if (_logger.IsEnabled(LogLevel.Information) && _tls.Info is { } info)
                {
                    ServerLog.Established(_logger, Id, Remote, TlsFactsText.Format(info));
                }
            }

            if (_established)
            {
                int idleSeconds = IdleLimitSeconds();
                deadline.CancelAfter(idleSeconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(idleSeconds));
                _messageDeadlineArmed = false;
            }

            if (result.Status == TlsStatus.Failed)
            {
                // The output may hold an alert telling the peer why; send it before giving up.
                await SendOutputAsync(token).ConfigureAwait(false);
                ServerLog.TlsFailed(_logger, Id, Remote, _tls.Failure?.Message ?? "unknown");
                return new Ending("TLS failure", SayGoodbye: false);
            }

            SipFramingError framingError = result.FramingError;
            TrackPartialMessage(result.Frames, deadline);
            if (!_replies.IsEmpty)
            {
                TlsResult sent = _tls.Send(_replies.Data.Span, _output);
                _replies.Release();
                if (!sent.IsSuccess)
                {
                    await SendOutputAsync(token).ConfigureAwait(false);
                    return new Ending("TLS send failed: " + sent.Status, SayGoodbye: false);
                }
            }

            await SendOutputAsync(token).ConfigureAwait(false);
            if (framingError != SipFramingError.None)
            {
                ServerLog.FramingFailed(_logger, Id, Remote, SipExchange.Describe(framingError, _options.Framing));
                return new Ending("unframable SIP: " + framingError, SayGoodbye: true, Drain: true);
            }

            if (result.Status == TlsStatus.PeerClosed)
            {
                return new Ending("peer sent close_notify", SayGoodbye: true);
            }
        }
    }

    /// <summary>
    /// Decrypts <paramref name="ciphertext"/> straight into the framer's free space and answers every frame completed
    /// (replies go to <see cref="_replies"/>). When the free space fills up, the frames are answered (which frees it)
    /// and decrypting goes on with the ciphertext not yet consumed and what OpenSSL holds of a record it already read.
    /// No plaintext is decrypted during the handshake, so no framer buffer is rented for it.
    /// </summary>
    private Received DecryptAndAnswer(ReadOnlySpan<byte> ciphertext)
    {
        bool completed = false;
        int frames = 0;
        while (true)
        {
            Span<byte> free = _tls.State == TlsConnectionState.Established ? _framer.GetAppendSpan(PlaintextSlice) : [];
            TlsResult result = _tls.Receive(ciphertext, free, _output, out int consumed, out int written);
            completed |= result.HandshakeCompleted;
            ciphertext = ciphertext[consumed..];
            if (result.Status == TlsStatus.Failed)
            {
                // As before this loop existed: nothing of a read that failed is answered.
                _replies.Release();
                return new Received(result.Status, completed, frames, SipFramingError.None);
            }

            _framer.CommitAppend(written);
            SipFramingError error = AnswerFrames(ref frames);
            bool progressed = consumed > 0 || written > 0 || result.HandshakeCompleted;
            bool more = written == free.Length || !ciphertext.IsEmpty;
            if (error != SipFramingError.None || result.Status != TlsStatus.Ok || !progressed || !more)
            {
                return new Received(result.Status, completed, frames, error);
            }
        }
    }

    /// <summary>
    /// Starts the message-read clock when bytes of a new frame wait in the framer (now, if this read completed frames
    /// before them) and stops it when nothing waits; while it runs, the deadline is the sooner of the idle timeout and
    /// the message-read timeout. Every byte resets the idle timer, so without this a peer dripping an endless header
    /// would hold the connection forever.
    /// </summary>
    private void TrackPartialMessage(int frames, CancellationTokenSource deadline)
    {
        if (_framer.BufferedBytes == 0)
        {
            _messageStartedAt = 0;
            return;
        }

        if (frames > 0 || _messageStartedAt == 0)
        {
            _messageStartedAt = Stopwatch.GetTimestamp();
        }

        if (!_established || _options.MessageReadTimeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        TimeSpan left = _options.MessageReadTimeout - Stopwatch.GetElapsedTime(_messageStartedAt);
        int idleSeconds = IdleLimitSeconds();
        if (idleSeconds < 0 || left < TimeSpan.FromSeconds(idleSeconds))
        {
            deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            _messageDeadlineArmed = true;
        }
    }

    /// <summary>
    /// The idle limit now (seconds, -1 none), as the module's sweep applies it: <c>connection_timeout</c> until a SIP
    /// message or keep-alive has passed, then <c>tcp_connection_lifetime</c>.
    /// </summary>
    private int IdleLimitSeconds() => _tls.Profile.Runtime.IdleLimitSeconds(_tls.CarriedApplicationData);

    /// <summary>Answers every complete frame into the reply buffer, counting them in <paramref name="frames"/>; returns the framing error that ends the stream, if any.</summary>
    private SipFramingError AnswerFrames(ref int frames)
    {
        int messages = 0;
        while (_framer.TryRead(out SipFrame frame))
        {
            frames++;
            messages += frame.Kind == SipFrameKind.Message ? 1 : 0;
            SipExchange.Answer(frame, _responder, _replies, Remote, _logger, Id);
            if (frame.Kind == SipFrameKind.Invalid)
            {
                return frame.Error;
            }
        }

        if (messages > 0 && _logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.Exchanged(_logger, Id, Remote, $"{messages} message(s) framed");
        }

        return SipFramingError.None;
    }

    /// <summary>
    /// Sends zero bytes through the socket's cached send operation so it stops referencing the last output buffer.
    /// Exception-free like the reads: a zero-byte send completes at once, and a failure (the peer reset meanwhile) is
    /// observed on the task, not thrown; the readiness wait reports the error.
    /// </summary>
    private async Task ClearCachedSendAsync()
    {
        ValueTask<int> cleared = _socket.SendAsync(ReadOnlyMemory<byte>.Empty, SocketFlags.None);
        if (cleared.IsCompletedSuccessfully)
        {
            return;
        }

        Task sending = cleared.AsTask();
        await sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _ = sending.Exception; // observed: an unobserved faulted task would be reported at finalization
    }

    /// <summary>
    /// Sends the output: first straight from this thread (the socket is non-blocking, and a handshake flight or a
    /// reply nearly always fits the socket's send buffer at once), then, only for what the kernel would not take,
    /// with an awaited send. The direct send needs neither the socket's cached send operation (an object and a
    /// delegate per connection, and a reference to the output buffer that an idle connection must clear) nor an
    /// async step; an error throws <see cref="SocketException"/> as the awaited send does.
    /// </summary>
    private ValueTask SendOutputAsync(CancellationToken token)
    {
        if (_output.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        bool pendingAsync = false;
        try
        {
            ReadOnlySpan<byte> pending = _output.Data.Span;
            while (!pending.IsEmpty)
            {
                int sent = _socket.Send(pending, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    pendingAsync = true;
                    return SendRestAsync(_output.Data[(_output.Data.Length - pending.Length)..], token);
                }

                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }

                pending = pending[sent..];
            }

            return ValueTask.CompletedTask;
        }
        finally
        {
            if (!pendingAsync)
            {
                _output.Release();
            }
        }
    }

    /// <summary>The rest of <see cref="SendOutputAsync"/> when the socket's send buffer is full: awaited, then the output released.</summary>
    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> pending, CancellationToken token)
    {
        try
        {
            _sendHoldsBuffer = true;
            while (!pending.IsEmpty)
            {
                int sent = await _socket.SendAsync(pending, SocketFlags.None, token).ConfigureAwait(false);
                pending = pending[sent..];
            }
        }
        finally
        {
            _output.Release();
        }
    }

    private async Task CloseAsync(Ending ending, bool serverStopping)
    {
        if (ending.SayGoodbye)
        {
            // close_notify goes out only when send_close_notify is on (TlsConnection.Close decides).
            _tls.Close(_output);
            using var sendLimit = new CancellationTokenSource(s_closeSendTimeout);
            try
            {
                await SendOutputAsync(sendLimit.Token).ConfigureAwait(false);
                _socket.Shutdown(SocketShutdown.Send);
                if (ending.Drain && !serverStopping)
                {
                    await DrainAsync().ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The peer is gone or not reading: closing is all that is left to do.
            }
        }
    }

    /// <summary>
    /// Reads and discards until the peer closes or a second passes. Exception-free like the main loop: the readiness
    /// wait and the non-blocking read report a reset as a value, and the time limit wakes the wait by ending the
    /// receive side, so neither the peer's reset nor the limit throws (s_time's HTTP GET, answered with 400, ended
    /// every connection with a thrown exception here).
    /// </summary>
    private async Task DrainAsync()
    {
        using var limit = new CancellationTokenSource(s_drainTimeout);
        CancellationTokenRegistration wake = limit.Token.UnsafeRegister(static state => ((SipServerConnection)state!).EndReceiving(), this);
        byte[] sink = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (!limit.IsCancellationRequested)
            {
                SocketError error = await _readiness.WaitAsync(_socket).ConfigureAwait(false);
                if (error != SocketError.Success)
                {
                    return;
                }

                int count = _socket.Receive(sink, 0, sink.Length, SocketFlags.None, out error);
                if (error == SocketError.WouldBlock)
                {
                    continue;
                }

                if (error != SocketError.Success || count == 0)
                {
                    return;
                }
            }
        }
        finally
        {
            await wake.DisposeAsync().ConfigureAwait(false);
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    /// <summary>What one received chunk gave: the TLS status, whether it completed the handshake, the frames answered and the framing error that ends the stream.</summary>
    private readonly record struct Received(TlsStatus Status, bool HandshakeCompleted, int Frames, SipFramingError FramingError);

    /// <summary>
    /// Why the loop ended (<paramref name="Why"/>, followed by <paramref name="Error"/> when there is one), whether to
    /// close the TLS layer politely (close_notify when enabled), and whether to drain unread input first.
    /// </summary>
    private readonly record struct Ending(string Why, bool SayGoodbye, bool Drain = false, SocketError Error = SocketError.Success)
    {
        public string Reason => Error == SocketError.Success ? Why : Why + Error;
    }
}
