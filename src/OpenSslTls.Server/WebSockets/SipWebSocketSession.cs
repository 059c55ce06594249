using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// One SIP-over-WebSocket connection (RFC 7118) after its upgrade: reads one WebSocket message at a time, frames the
/// SIP message in it, answers with the same <see cref="SipResponder"/> as the TLS listener and sends the reply as one
/// message of the same type (text or binary). A message over the size limit, or one that cannot be framed, is answered
/// as over TLS (400, 413 when it can be addressed) and ends the connection; no message within the idle limit ends it
/// too. Only this loop sends, except the closing handshake it starts itself, so nothing needs locking.
/// </summary>
internal sealed class SipWebSocketSession
{
    /// <summary>What a receive starts with; grown (up to the limit) only for a message that needs it.</summary>
    private const int InitialBufferSize = 4096;

    /// <summary>How long the peer has to answer our close frame before the connection is dropped.</summary>
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly TlsProfile? _profile;
    private readonly SipResponder _responder;
    private readonly SipFramingLimits _limits;
    private readonly TimeSpan _idleWithoutTls;
    private readonly TimeSpan _messageReadTimeout;
    private readonly ILogger _logger;
    private readonly PooledByteBuffer _replies = new(clearOnRelease: true);
    private byte[] _buffer = [];
    private bool _receiveAbandoned; // a receive into _buffer may still complete: the buffer must not go back to the pool

    public SipWebSocketSession(long id, WebSocket socket, EndPoint? remote, TlsProfile? profile, SipResponder responder, SipWebSocketServerOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Id = id;
        _socket = socket;
        Remote = remote;
        _profile = profile;
        _responder = responder;
        _limits = options.Framing;
        _idleWithoutTls = options.IdleTimeout;
        _messageReadTimeout = options.MessageReadTimeout;
        _logger = logger;
    }

    public long Id { get; }

    public EndPoint? Remote { get; }

    /// <summary>Serves the connection until the peer closes, it fails, idles out or <paramref name="stopping"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        string reason = "unexpected failure";
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            reason = await ServeAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection was reset or aborted (tls.kill, the module's idle sweep, a vanished peer).
            reason = "connection lost: " + e.Message;
        }
        finally
        {
            _replies.Release();
            if (!_receiveAbandoned)
            {
                ArrayPool<byte>.Shared.Return(_buffer, clearArray: true); // it held SIP plaintext
            }

            _buffer = [];
            ServerLog.Closed(_logger, Id, Remote, reason);
        }
    }

    private async Task<string> ServeAsync(CancellationToken stopping)
    {
        int limit = SipWebSocketFraming.MaxMessageBytes(_limits);
        while (true)
        {
            int length = 0;
            long messageStartedAt = 0; // when the first fragment of this message came; 0 before it
            WebSocketMessageType type;
            while (true)
            {
                if (length == _buffer.Length)
                {
                    _buffer = Grow(_buffer, Math.Min(_buffer.Length * 2, limit + 1));
                }

                ValueWebSocketReceiveResult received;
                ValueTask<ValueWebSocketReceiveResult> receiving = _socket.ReceiveAsync(_buffer.AsMemory(length), CancellationToken.None);
                if (receiving.IsCompleted)
                {
                    received = receiving.Result;
                }
                else
                {
                    Task<ValueWebSocketReceiveResult> pending = receiving.AsTask();
                    (TimeSpan wait, bool forMessage) = Deadline(messageStartedAt);
                    try
                    {
                        received = await pending.WaitAsync(wait, stopping).ConfigureAwait(false);
                    }
                    catch (TimeoutException) when (forMessage)
                    {
                        // A message begun but not finished: every fragment would reset the idle limit, so without this
                        // a peer could hold the connection by dripping fragments of one endless message.
                        ServerLog.MessageReadTimedOut(_logger, Id, Remote, _messageReadTimeout.TotalSeconds);
                        await CloseAsync(pending, WebSocketCloseStatus.PolicyViolation, "SIP message read timeout").ConfigureAwait(false);
                        return "SIP message read timeout";
                    }
                    catch (TimeoutException)
                    {
                        ServerLog.IdleTimedOut(_logger, Id, Remote, IdleLimit().TotalSeconds);
                        await CloseAsync(pending, WebSocketCloseStatus.EndpointUnavailable, "idle timeout").ConfigureAwait(false);
                        return "idle timeout";
                    }
                    catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                    {
                        await CloseAsync(pending, WebSocketCloseStatus.EndpointUnavailable, "server stopping").ConfigureAwait(false);
                        return "server stopping";
                    }
                }

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await AnswerCloseAsync().ConfigureAwait(false);
                    return $"peer closed the WebSocket ({(int?)_socket.CloseStatus} {_socket.CloseStatusDescription})";
                }

                if (length == 0 && received.Count > 0)
                {
                    messageStartedAt = Stopwatch.GetTimestamp();
                }

                length += received.Count;
                type = received.MessageType;
                if (length > limit)
                {
                    SipFrame oversized = SipWebSocketFraming.Oversized(_buffer.AsMemory(0, length), _limits);
                    return await EndWithAsync(oversized, type, WebSocketCloseStatus.MessageTooBig, $"message over {limit} bytes").ConfigureAwait(false);
                }

                if (received.EndOfMessage)
                {
                    break;
                }
            }

            SipFrame? frame = SipWebSocketFraming.Frame(_buffer.AsMemory(0, length), _limits);
            if (frame is not { } found)
            {
                continue;
            }

            if (found.Kind == SipFrameKind.Invalid)
            {
                return await EndWithAsync(found, type, WebSocketCloseStatus.ProtocolError, "unframable SIP: " + SipExchange.Describe(found.Error, _limits)).ConfigureAwait(false);
            }

            SipExchange.Answer(found, _responder, _replies, Remote, _logger, Id);
            await SendRepliesAsync(type, stopping).ConfigureAwait(false);
            _buffer.AsSpan(0, length).Clear();
            if (_buffer.Length > InitialBufferSize)
            {
                // A large message's buffer goes back at once: an idle connection holds only the small one.
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
            }
        }
    }

    /// <summary>Answers an unframable or oversized message as over TLS (400 or 413 when it can be addressed), then closes with <paramref name="status"/>.</summary>
    private async Task<string> EndWithAsync(SipFrame invalid, WebSocketMessageType type, WebSocketCloseStatus status, string description)
    {
        ServerLog.FramingFailed(_logger, Id, Remote, description);
        SipExchange.Answer(invalid, _responder, _replies, Remote, _logger, Id);
        using var limit = new CancellationTokenSource(s_closeTimeout);
        try
        {
            await SendRepliesAsync(type, limit.Token).ConfigureAwait(false);
            await _socket.CloseOutputAsync(status, description, limit.Token).ConfigureAwait(false);
            await DrainUntilClosedAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer is gone or does not close: the connection ends anyway.
        }

        return description;
    }

    private async Task SendRepliesAsync(WebSocketMessageType type, CancellationToken token)
    {
        if (_replies.IsEmpty)
        {
            return;
        }

        try
        {
            await _socket.SendAsync(_replies.Data, type, endOfMessage: true, token).ConfigureAwait(false);
        }
        finally
        {
            _replies.Release();
        }
    }

    /// <summary>Starts the closing handshake while <paramref name="pending"/> (the receive) is outstanding, and waits briefly for the peer's close.</summary>
    private async Task CloseAsync(Task<ValueWebSocketReceiveResult> pending, WebSocketCloseStatus status, string description)
    {
        using var limit = new CancellationTokenSource(s_closeTimeout);
        try
        {
            await _socket.CloseOutputAsync(status, description, limit.Token).ConfigureAwait(false);
            await pending.WaitAsync(limit.Token).ConfigureAwait(false);
            await DrainUntilClosedAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or TimeoutException)
        {
            // The peer is gone or does not answer: the connection ends anyway.
            _receiveAbandoned = !pending.IsCompleted;
        }
        finally
        {
            _ = pending.Exception; // observed, whatever became of it
        }
    }

    private async Task AnswerCloseAsync()
    {
        if (_socket.State == WebSocketState.CloseReceived)
        {
            using var limit = new CancellationTokenSource(s_closeTimeout);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, limit.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                // Gone already.
            }
        }
    }

    /// <summary>Reads and discards until the peer's close frame arrives (our close is sent), so the TCP close loses nothing of our last reply.</summary>
    private async Task DrainUntilClosedAsync(CancellationToken token)
    {
        byte[] sink = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            while (_socket.State == WebSocketState.CloseSent)
            {
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(sink.AsMemory(), token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink, clearArray: true);
        }
    }

    /// <summary>
    /// The idle limit now, as the module's sweep applies it to the TLS connection under this WebSocket: its profile's
    /// <c>tcp_connection_lifetime</c> (the upgrade request was application data already); without TLS (tests of the
    /// WebSocket layer) the configured one. Only SIP messages and keep-alives count as activity here, not WebSocket pings.
    /// </summary>
    private TimeSpan IdleLimit()
    {
        if (_profile is null)
        {
            return _idleWithoutTls;
        }

        int seconds = _profile.Runtime.IdleLimitSeconds(carriedApplicationData: true);
        return seconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>How long the next receive may wait: the idle limit, or less when a message has begun and must be complete within the message-read timeout.</summary>
    private (TimeSpan Wait, bool ForMessage) Deadline(long messageStartedAt)
    {
        TimeSpan idle = IdleLimit();
        if (messageStartedAt == 0 || _messageReadTimeout == Timeout.InfiniteTimeSpan)
        {
            return (idle, false);
        }

        TimeSpan left = _messageReadTimeout - Stopwatch.GetElapsedTime(messageStartedAt);
        left = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        return idle == Timeout.InfiniteTimeSpan || left < idle ? (left, true) : (idle, false);
    }

    private static byte[] Grow(byte[] buffer, int size)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan().CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        return larger;
    }
}
