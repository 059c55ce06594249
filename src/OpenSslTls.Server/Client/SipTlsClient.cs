using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.Sip;
using OpenSslTls.Connections;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace OpenSslTls.SipEndpoint.Client;

/// <summary>
/// The client side of a SIP-over-TLS connection over the library: connects, completes the handshake, sends plaintext
/// and reads framed replies. One caller at a time (the <c>send</c> command, a test): not thread-safe.
/// </summary>
internal sealed class SipTlsClient : IAsyncDisposable
{
    private const int ReceiveBufferSize = 16 * 1024 + 512;

    private readonly Socket _socket;
    private readonly TlsConnection _tls;
    private readonly SipFramer _framer;
    private readonly PooledByteBuffer _plaintext = new(clearOnRelease: true);
    private readonly PooledByteBuffer _output = new(clearOnRelease: false);
    private readonly byte[] _receiveBuffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
    private bool _ended;
    private bool _disposed;

    private SipTlsClient(Socket socket, TlsConnection tls, SipFramingLimits limits)
    {
        _socket = socket;
        _tls = tls;
        _framer = new SipFramer(limits with { KeepAliveRole = SipKeepAliveRole.SendsPings });
    }

    /// <summary>The TLS facts of the established connection.</summary>
    public TlsConnectionInfo Info => _tls.Info ?? throw new InvalidOperationException("the handshake has not completed");

    /// <summary>The profile the connection uses.</summary>
    public TlsProfile Profile => _tls.Profile;

    /// <summary>This side's address.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>The server's address.</summary>
    public IPEndPoint RemoteEndPoint => (IPEndPoint)_socket.RemoteEndPoint!;

    /// <summary>True once the server closed (TCP end or close_notify).</summary>
    public bool Ended => _ended;

    /// <summary>True when the server ended the TLS layer with close_notify rather than just closing TCP.</summary>
    public bool ReceivedCloseNotify { get; private set; }

    /// <summary>
    /// Connects to <paramref name="endpoint"/> (an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>) and completes the
    /// handshake, sending <paramref name="serverName"/> as SNI. Throws <see cref="SipClientException"/> when TLS fails,
    /// <see cref="SocketException"/> when the connection does, <see cref="OperationCanceledException"/> on <paramref name="cancellation"/>.
    /// </summary>
    public static Task<SipTlsClient> ConnectAsync(EndPoint endpoint, TlsProfile profile, string? serverName, CancellationToken cancellation, SipFramingLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return ConnectAsync(endpoint, _ => profile.CreateConnection(serverName), cancellation, limits);
    }

    /// <summary>
    /// Connects to <paramref name="endpoint"/> and completes the handshake on the connection <paramref name="createConnection"/>
    /// makes for the connected address (e.g. <see cref="TlsModule.OpenConnection"/>).
    /// </summary>
    public static async Task<SipTlsClient> ConnectAsync(EndPoint endpoint, Func<IPEndPoint, TlsConnection> createConnection, CancellationToken cancellation, SipFramingLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(createConnection);
        Socket socket = endpoint.AddressFamily == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        TlsConnection? tls = null;
        SipTlsClient? client = null;
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint, cancellation).ConfigureAwait(false);
            tls = createConnection((IPEndPoint)socket.RemoteEndPoint!);
            client = new SipTlsClient(socket, tls, limits ?? new SipFramingLimits());
            await client.HandshakeAsync(cancellation).ConfigureAwait(false);
            return client;
        }
        catch
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                tls?.Dispose();
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Encrypts and sends <paramref name="plaintext"/>.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> plaintext, CancellationToken cancellation)
    {
        TlsResult result = _tls.Send(plaintext.Span, _output);
        if (!result.IsSuccess)
        {
            throw new SipClientException($"TLS send failed: {result.Status} {_tls.Failure?.Message}");
        }

        await FlushAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="text"/> as UTF-8.</summary>
    public Task SendAsync(string text, CancellationToken cancellation) => SendAsync(Encoding.UTF8.GetBytes(text), cancellation);

    /// <summary>The next framed reply, or null once the server has closed. Throws <see cref="SipClientException"/> on an unframable reply or a TLS failure.</summary>
    public async Task<SipReceivedFrame?> ReadFrameAsync(CancellationToken cancellation)
    {
        while (true)
        {
            if (_framer.TryRead(out SipFrame frame))
            {
                if (frame.Kind == SipFrameKind.Invalid)
                {
                    throw new SipClientException($"the server's reply cannot be framed: {frame.Error}");
                }

                return new SipReceivedFrame(frame.Kind, Encoding.UTF8.GetString(frame.Bytes.Span));
            }

            if (!await ReceiveAsync(cancellation).ConfigureAwait(false))
            {
                return null;
            }

            _framer.Append(_plaintext.Data.Span);
            _plaintext.Release();
        }
    }

    /// <summary>Closes the TLS layer (close_notify when the profile's runtime enables it) and the sending side of the socket.</summary>
    public async Task CloseAsync(CancellationToken cancellation)
    {
        _tls.Close(_output);
        try
        {
            await FlushAsync(cancellation).ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already closed by the server: nothing left to say.
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            _socket.Dispose();
            _tls.Dispose();
            _framer.Dispose();
            _plaintext.Release();
            _output.Release();
            ArrayPool<byte>.Shared.Return(_receiveBuffer);
        }

        return ValueTask.CompletedTask;
    }

    private async Task HandshakeAsync(CancellationToken cancellation)
    {
        _tls.Start(_output);
        await FlushAsync(cancellation).ConfigureAwait(false);
        while (_tls.State != TlsConnectionState.Established)
        {
            if (!await ReceiveAsync(cancellation).ConfigureAwait(false))
            {
                throw new SipClientException("the server closed the connection during the TLS handshake");
            }
        }

        _framer.Append(_plaintext.Data.Span);
        _plaintext.Release();
    }

    /// <summary>Reads one chunk of ciphertext into <see cref="_plaintext"/> and sends what TLS answers; false at the end of the stream.</summary>
    private async Task<bool> ReceiveAsync(CancellationToken cancellation)
    {
        if (_ended)
        {
            return false;
        }

        int count = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(0, ReceiveBufferSize), SocketFlags.None, cancellation).ConfigureAwait(false);
        if (count == 0)
        {
            _ended = true;
            return false;
        }

        TlsResult result = _tls.Receive(_receiveBuffer.AsSpan(0, count), _plaintext, _output);
        await FlushAsync(cancellation).ConfigureAwait(false);
        switch (result.Status)
        {
            case TlsStatus.Failed:
                throw new SipClientException(_tls.Failure?.Message ?? "TLS failed");
            case TlsStatus.PeerClosed:
                _ended = true;
                ReceivedCloseNotify = true;
                break;
            default:
                break;
        }

        return true;
    }

    private async Task FlushAsync(CancellationToken cancellation)
    {
        try
        {
            ReadOnlyMemory<byte> pending = _output.Data;
            while (!pending.IsEmpty)
            {
                int sent = await _socket.SendAsync(pending, SocketFlags.None, cancellation).ConfigureAwait(false);
                pending = pending[sent..];
            }
        }
        finally
        {
            _output.Release();
        }
    }
}
