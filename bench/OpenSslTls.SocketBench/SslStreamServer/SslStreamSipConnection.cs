using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.Sip;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;

namespace OpenSslTls.SocketBench.SslStreamServer;

/// <summary>
/// One accepted connection of the SslStream server: serve's per-connection loop (<see cref="SipServerConnection"/>) with
/// the TLS layer swapped for <see cref="SslStream"/>. Everything else is kept as serve does it, so the comparison is
/// of the TLS layers: a zero-byte read to wait without a buffer, a pooled receive chunk of the same size, the same
/// <see cref="SipFramer"/>, <see cref="SipMessageHead"/> parse and <see cref="SipResponder"/> reply, replies gathered in
/// a pooled buffer and written once per read, the same handshake and idle deadlines re-armed per read.
/// Only logging is left out: serve runs at warning level in the benchmark, where it logs nothing per connection.
/// </summary>
internal sealed class SslStreamSipConnection
{
    /// <summary>What one read asks for: serve's receive size (one full TLS record and its overhead).</summary>
    private const int ReceiveBufferSize = 16 * 1024 + 512;

    /// <summary>serve's idle limit, re-armed after every read: the module's connection_timeout default (600 s).</summary>
    private static readonly TimeSpan s_idleTimeout = TimeSpan.FromSeconds(new TlsModuleOptions().ConnectionTimeout);

    private readonly Socket _socket;
    private readonly SslServerAuthenticationOptions _options;
    private readonly SipResponder _responder;
    private readonly SipTlsServerOptions _limits;
    private readonly SipFramer _framer;
    private readonly PooledByteBuffer _replies = new(clearOnRelease: true);
    private readonly IPEndPoint? _remote;

    public SslStreamSipConnection(Socket socket, SslServerAuthenticationOptions options, SipResponder responder, SipTlsServerOptions limits)
    {
        _socket = socket;
        _options = options;
        _responder = responder;
        _limits = limits;
        _framer = new SipFramer(limits.Framing);
        _remote = socket.RemoteEndPoint as IPEndPoint;
    }

    /// <summary>Serves until the peer leaves, the connection fails or times out, or <paramref name="stopping"/> fires; always frees everything.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var stream = new SslStream(new NetworkStream(_socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            deadline.CancelAfter(_limits.HandshakeTimeout);
            await stream.AuthenticateAsServerAsync(_options, deadline.Token).ConfigureAwait(false);
            await ServeAsync(stream, deadline).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            // Timed out, stopped, or the peer went away or failed the handshake: closing below is all there is to do.
        }
        finally
        {
            // Like serve with send_close_notify off (its default): no close_notify, the socket just closes.
            await stream.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
            _framer.Dispose();
            _replies.Release();
        }
    }

    private async Task ServeAsync(SslStream stream, CancellationTokenSource deadline)
    {
        CancellationToken token = deadline.Token;
        while (true)
        {
            // Wait for readability without a buffer, as serve does, so idle connections pin no memory.
            await stream.ReadAsync(Memory<byte>.Empty, token).ConfigureAwait(false);
            byte[] chunk = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
            try
            {
                int count = await stream.ReadAsync(chunk.AsMemory(), token).ConfigureAwait(false);
                if (count == 0)
                {
                    return;
                }

                _framer.Append(chunk.AsSpan(0, count));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            deadline.CancelAfter(s_idleTimeout);
            SipFramingError framingError = AnswerFrames();
            if (!_replies.IsEmpty)
            {
                try
                {
                    await stream.WriteAsync(_replies.Data, token).ConfigureAwait(false);
                }
                finally
                {
                    _replies.Release();
                }
            }

            if (framingError != SipFramingError.None)
            {
                // Serve also drains before closing here; the benchmark never sends unframable SIP, so this is never reached.
                return;
            }
        }
    }

    /// <summary><see cref="SipServerConnection"/>'s AnswerFrames without its log calls.</summary>
    private SipFramingError AnswerFrames()
    {
        while (_framer.TryRead(out SipFrame frame))
        {
            switch (frame.Kind)
            {
                case SipFrameKind.Ping:
                    _replies.Write("\r\n"u8);
                    break;
                case SipFrameKind.Message:
                    SipMessageHead? head = SipMessageHead.TryParse(frame.Header.Span, out _);
                    if (head is not null)
                    {
                        _responder.Respond(head, _replies, _remote);
                    }

                    break;
                case SipFrameKind.Invalid:
                    _responder.RespondToUnframable(frame, _replies, _remote);

                    return frame.Error;
                default:
                    break;
            }
        }

        return SipFramingError.None;
    }
}
