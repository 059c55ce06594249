using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace OpenSslTls.WebBench;

/// <summary>
/// N TLS connections to a server, each after one kept-alive HTTP/1.1 request, then held open doing nothing: the
/// server's RSS delta over N is its memory per idle TLS connection (Kestrel's own per-connection state included,
/// the same on both sides). The client is SslStream (bench/ only); its memory is this process's, not the server's.
/// </summary>
internal sealed class IdleConnections : IAsyncDisposable
{
    private readonly List<(Socket Socket, SslStream Stream)> _open = [];

    public int Count => _open.Count;

    public static async Task<IdleConnections> OpenAsync(int port, int count)
    {
        var idle = new IdleConnections();
        byte[] request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var buffer = new byte[4096];
        for (int i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).ConfigureAwait(false);
            var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            idle._open.Add((socket, stream));
            await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                RemoteCertificateValidationCallback = static (_, _, _, _) => true, // the bench's own self-signed certificate
                ApplicationProtocols = [SslApplicationProtocol.Http11],
            }).ConfigureAwait(false);
            await stream.WriteAsync(request).ConfigureAwait(false);
            int read = await stream.ReadAsync(buffer).ConfigureAwait(false);
            if (read == 0 || !Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("an idle connection's request was not answered 200");
            }
        }

        return idle;
    }

    public async ValueTask DisposeAsync()
    {
        foreach ((Socket socket, SslStream stream) in _open)
        {
            socket.Close(0);
            await stream.DisposeAsync().ConfigureAwait(false);
        }

        _open.Clear();
    }
}
