using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// A loopback TCP proxy in front of a real server (Redis) that holds every chunk the server sends back for
/// <see cref="Delay"/> before passing it on, in order: a server that answers slowly but does answer, unlike a paused
/// or stopped one. Requests pass at once; the delay can change at any time and applies to chunks read after it.
/// </summary>
public sealed class DelayingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private long _delayTicks;

    /// <summary>Starts listening on a free loopback port, forwarding to <paramref name="targetPort"/>.</summary>
    public DelayingTcpProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's port.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>StackExchange.Redis configuration through the proxy.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>How long each answer of the server is held.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        lock (_pumps)
        {
            _pumps.RemoveAll(p => p.IsCompleted);
        }

        await Task.WhenAll(_pumps.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            lock (_pumps)
            {
                _pumps.Add(Pair(client, server));
            }
        }
    }

    private async Task Pair(TcpClient client, TcpClient server)
    {
        using (client)
        using (server)
        {
            Task up = CopyAsync(client.GetStream(), server.GetStream(), delayed: false);
            Task down = CopyAsync(server.GetStream(), client.GetStream(), delayed: true);
            await Task.WhenAny(up, down);
        }
    }

    // A reader that stamps each chunk and a writer that passes it on once its delay is over: the latency of a slow
    // server without limiting how much it answers.
    private async Task CopyAsync(NetworkStream from, NetworkStream to, bool delayed)
    {
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Data)>();
        async Task WriteAsync()
        {
            await foreach ((long due, byte[] data) in chunks.Reader.ReadAllAsync(_stop.Token))
            {
                long wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), _stop.Token);
                }

                await to.WriteAsync(data, _stop.Token);
            }
        }

        Task writer = WriteAsync();
        try
        {
            var buffer = new byte[16384];
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                long due = Stopwatch.GetTimestamp() + (delayed ? (long)(Delay.TotalSeconds * Stopwatch.Frequency) : 0);
                chunks.Writer.TryWrite((due, buffer[..read]));
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            chunks.Writer.TryComplete();
        }

        try
        {
            await writer;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }
}
