using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.SocketBench.SslStreamServer;

/// <summary>
/// serve's accept loop (<see cref="SipTlsServer"/>) with SslStream connections: one listening socket with SO_REUSEADDR
/// and serve's backlog, an async accept loop, NoDelay, a connection limit, and every connection's task tracked so a stop
/// can wait for them. Options (timeouts, limits, framing) are serve's defaults, taken from <see cref="SipTlsServerOptions"/>.
/// </summary>
internal sealed class SslStreamSipServer
{
    private const int LinuxSolSocket = 1;
    private const int LinuxSoReuseAddr = 2;

    private readonly Socket _listener;
    private readonly SslServerAuthenticationOptions _tls;
    private readonly SipTlsServerOptions _options = new();
    private readonly SipResponder _responder = new(new ToTagGenerator());
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _acceptLoop = Task.CompletedTask;
    private long _lastConnectionId;

    private SslStreamSipServer(Socket listener, SslServerAuthenticationOptions tls)
    {
        _listener = listener;
        _tls = tls;
    }

    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Binds <paramref name="endpoint"/> and starts accepting.</summary>
    public static SslStreamSipServer Start(IPEndPoint endpoint, SslServerAuthenticationOptions tls)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // As serve: SO_REUSEADDR alone (not ReuseAddress, which on Unix also sets SO_REUSEPORT).
            listener.SetRawSocketOption(LinuxSolSocket, LinuxSoReuseAddr, BitConverter.GetBytes(1));
            listener.Bind(endpoint);
            var server = new SslStreamSipServer(listener, tls);
            listener.Listen(server._options.Backlog);
            server._acceptLoop = server.AcceptLoopAsync();
            return server;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Stops accepting and waits up to serve's shutdown timeout for the connections to end.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_connections.Values).WaitAsync(_options.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The process exits next anyway.
        }
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (token.IsCancellationRequested && e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            if (_connections.Count >= _options.MaxConnections)
            {
                socket.Dispose();
                continue;
            }

            socket.NoDelay = true;
            long id = Interlocked.Increment(ref _lastConnectionId);
            Task run = RunConnectionAsync(id, socket, token);
            _connections[id] = run;
            if (run.IsCompleted)
            {
                _connections.TryRemove(id, out _);
            }
        }
    }

    private async Task RunConnectionAsync(long id, Socket socket, CancellationToken stopping)
    {
        try
        {
            await new SslStreamSipConnection(socket, _tls, _responder, _options).RunAsync(stopping).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(id, out _);
        }
    }
}
