using System.Buffers;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// A client that completes a real handshake with a library <see cref="TlsConnection"/> and then hands the socket to the
/// test, which may send anything on it: well-formed records through <see cref="SendTlsAsync"/>, or any bytes through
/// <see cref="SendRawAsync"/>. It keeps the bytes of the handshake (<see cref="ClientHello"/>, <see cref="ServerFlight"/>)
/// so a test can forge records of the same session (see <see cref="Tls12GcmRecords"/>). Everything is async so that
/// hundreds of these do not hold thread-pool threads the server under test needs.
/// </summary>
internal sealed class RawTlsClient : IDisposable
{
    private const int ReceiveSize = 16 * 1024 + 512;

    private RawTlsClient(Socket socket, TlsConnection tls, byte[] clientHello, byte[] serverFlight, byte[] leftover)
    {
        Socket = socket;
        Tls = tls;
        ClientHello = clientHello;
        ServerFlight = serverFlight;
        Leftover = leftover;
    }

    public Socket Socket { get; }

    /// <summary>The client side of the TLS session (established).</summary>
    public TlsConnection Tls { get; }

    /// <summary>The first flight the client sent (the ClientHello record).</summary>
    public byte[] ClientHello { get; }

    /// <summary>Every byte the server sent until the client's handshake completed, starting with the ServerHello record.</summary>
    public byte[] ServerFlight { get; }

    /// <summary>Plaintext the client decrypted in the same reads that completed the handshake (normally none).</summary>
    public byte[] Leftover { get; }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and completes the handshake of a <paramref name="profile"/> connection.</summary>
    /// <param name="bufferSize">SO_RCVBUF and SO_SNDBUF to set before connecting (small ones make a client that never reads stall sooner).</param>
    public static async Task<RawTlsClient> ConnectAsync(int port, TlsProfile profile, CancellationToken cancellation, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        TlsConnection? tls = null;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReceiveSize);
        try
        {
            if (bufferSize is { } size)
            {
                socket.ReceiveBufferSize = size;
                socket.SendBufferSize = size;
            }

            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellation).ConfigureAwait(false);
            tls = profile.CreateConnection("localhost");
            var output = new ArrayBufferWriter<byte>();
            tls.Start(output);
            byte[] hello = output.WrittenSpan.ToArray();
            await SendAllAsync(socket, hello, cancellation).ConfigureAwait(false);

            var flight = new List<byte>();
            var plaintext = new ArrayBufferWriter<byte>();
            while (tls.State != TlsConnectionState.Established)
            {
                int count = await socket.ReceiveAsync(buffer.AsMemory(0, ReceiveSize), SocketFlags.None, cancellation).ConfigureAwait(false);
                if (count == 0)
                {
                    throw new IOException("the server closed the connection during the handshake");
                }

                flight.AddRange(buffer.AsSpan(0, count));
                output.ResetWrittenCount();
                TlsResult result = tls.Receive(buffer.AsSpan(0, count), plaintext, output);
                if (result.Status == TlsStatus.Failed)
                {
                    throw new IOException("client handshake failed: " + tls.Failure?.Message);
                }

                await SendAllAsync(socket, output.WrittenMemory, cancellation).ConfigureAwait(false);
            }

            return new RawTlsClient(socket, tls, hello, [.. flight], plaintext.WrittenSpan.ToArray());
        }
        catch
        {
            tls?.Dispose();
            socket.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> with the session and sends it.</summary>
    public async Task SendTlsAsync(ReadOnlyMemory<byte> plaintext, CancellationToken cancellation)
    {
        var output = new ArrayBufferWriter<byte>();
        TlsResult result = Tls.Send(plaintext.Span, output);
        if (!result.IsSuccess)
        {
            throw new IOException($"TLS send failed: {result.Status}");
        }

        await SendAllAsync(Socket, output.WrittenMemory, cancellation).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="bytes"/> as they are.</summary>
    public Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellation) => SendAllAsync(Socket, bytes, cancellation);

    public void Dispose()
    {
        Socket.Dispose();
        Tls.Dispose();
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancellation)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await socket.SendAsync(bytes, SocketFlags.None, cancellation).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }
}
