using System.Buffers;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.Sip;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// The load generator's connection, the same code against both servers: a socket, an OpenSslTls client
/// <see cref="TlsConnection"/> (verifying the server against the bench root), and serve's own <see cref="SipFramer"/> to
/// cut the replies. It is <c>SipTlsClient</c>'s loop, rewritten here only to count the bytes each side puts on the
/// wire (so a difference in handshake flights between the servers shows) and to check a reply without copying it.
/// Not thread-safe: one worker drives it.
/// </summary>
internal sealed class LoadClient : IDisposable
{
    private const int ReceiveBufferSize = 16 * 1024 + 512;

    private readonly Socket _socket;
    private readonly TlsConnection _tls;
    private readonly SipFramer _framer = new(new SipFramingLimits { KeepAliveRole = SipKeepAliveRole.SendsPings });
    private readonly PooledByteBuffer _plaintext = new(clearOnRelease: true);
    private readonly PooledByteBuffer _output = new(clearOnRelease: false);
    private readonly byte[] _receiveBuffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
    private bool _disposed;

    private LoadClient(Socket socket, TlsConnection tls)
    {
        _socket = socket;
        _tls = tls;
    }

    /// <summary>Ciphertext bytes received from the server so far (handshake included).</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Ciphertext bytes sent to the server so far (handshake included).</summary>
    public long BytesSent { get; private set; }

    /// <summary>The negotiated facts, once established.</summary>
    public TlsConnectionInfo? Info => _tls.Info;

    /// <summary>This side's address (for the Via and Contact of the requests).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Connects (from <paramref name="localAddress"/> when given, else the system's choice) and completes the handshake.</summary>
    public static async Task<LoadClient> ConnectAsync(IPEndPoint server, TlsProfile profile, string serverName, CancellationToken cancellation, IPAddress? localAddress = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        TlsConnection? tls = null;
        LoadClient? client = null;
        try
        {
            if (localAddress is not null)
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }

            await socket.ConnectAsync(server, cancellation).ConfigureAwait(false);
            tls = profile.CreateConnection(serverName);
            client = new LoadClient(socket, tls);
            await client.HandshakeAsync(cancellation).ConfigureAwait(false);
            return client;
        }
        catch
        {
            if (client is not null)
            {
                client.Dispose();
            }
            else
            {
                tls?.Dispose();
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Sends one request and waits for its reply; throws <see cref="IOException"/> unless the reply is a 200.</summary>
    public async Task ExchangeAsync(ReadOnlyMemory<byte> request, CancellationToken cancellation)
    {
        TlsResult sent = _tls.Send(request.Span, _output);
        if (!sent.IsSuccess)
        {
            throw new IOException($"TLS send failed: {sent.Status} {_tls.Failure?.Message}");
        }

        await FlushAsync(cancellation).ConfigureAwait(false);
        while (true)
        {
            if (_framer.TryRead(out SipFrame frame))
            {
                switch (frame.Kind)
                {
                    case SipFrameKind.Message when frame.Bytes.Span.StartsWith("SIP/2.0 200 "u8):
                        return;
                    case SipFrameKind.Pong:
                        continue;
                    default:
                        throw new IOException($"unexpected reply ({frame.Kind} {frame.Error}): {System.Text.Encoding.UTF8.GetString(frame.Bytes.Span)}");
                }
            }

            if (!await ReceiveAsync(cancellation).ConfigureAwait(false))
            {
                throw new IOException("the server closed the connection before replying");
            }
        }
    }

    /// <summary>
    /// Frees everything of this side but the socket and hands the socket over: the connection stays open for the
    /// server (an idle SIP client), while this process keeps only a descriptor. This client is unusable afterwards.
    /// </summary>
    public Socket DetachSocket()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _disposed = true;
        _tls.Dispose();
        _framer.Dispose();
        _plaintext.Release();
        _output.Release();
        ArrayPool<byte>.Shared.Return(_receiveBuffer);
        return _socket;
    }

    /// <summary>Closes the socket without close_notify (serve's and the client profile's default); the server sees the TCP end.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _socket.Dispose();
        _tls.Dispose();
        _framer.Dispose();
        _plaintext.Release();
        _output.Release();
        ArrayPool<byte>.Shared.Return(_receiveBuffer);
    }

    private async Task HandshakeAsync(CancellationToken cancellation)
    {
        _tls.Start(_output);
        await FlushAsync(cancellation).ConfigureAwait(false);
        while (_tls.State != TlsConnectionState.Established)
        {
            if (!await ReceiveAsync(cancellation).ConfigureAwait(false))
            {
                throw new IOException("the server closed the connection during the TLS handshake");
            }
        }
    }

    /// <summary>Reads one chunk, decrypts it into the framer, and sends whatever TLS answers; false at the end of the stream.</summary>
    private async Task<bool> ReceiveAsync(CancellationToken cancellation)
    {
        int count = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(0, ReceiveBufferSize), SocketFlags.None, cancellation).ConfigureAwait(false);
        if (count == 0)
        {
            return false;
        }

        BytesReceived += count;
        TlsResult result = _tls.Receive(_receiveBuffer.AsSpan(0, count), _plaintext, _output);
        await FlushAsync(cancellation).ConfigureAwait(false);
        if (result.Status == TlsStatus.Failed)
        {
            throw new IOException("TLS failed: " + (_tls.Failure?.Message ?? "unknown"));
        }

        if (!_plaintext.IsEmpty)
        {
            _framer.Append(_plaintext.Data.Span);
            _plaintext.Release();
        }

        return result.Status != TlsStatus.PeerClosed || _framer.BufferedBytes > 0;
    }

    private async Task FlushAsync(CancellationToken cancellation)
    {
        try
        {
            ReadOnlyMemory<byte> pending = _output.Data;
            BytesSent += pending.Length;
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
