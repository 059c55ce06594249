using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenSslTls.SipEndpoint.Sip;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// The SIP-over-TLS endpoint: binds every listen address when started (so a bad address fails at once), accepts on
/// each with an async loop, and runs one <see cref="SipServerConnection"/> per accepted socket. The TLS profile
/// belongs to the caller and must outlive the server. Port 0 binds a free port; <see cref="LocalEndpoints"/> reports it.
/// </summary>
internal sealed class SipTlsServer : IAsyncDisposable, ISharedConnectionSlots
{
    private const int LinuxSolSocket = 1;
    private const int LinuxSoReuseAddr = 2;

    /// <summary>Accepts completed at once (from a waiting backlog) before the accept loop lets its thread serve other events.</summary>
    internal const int AcceptsBeforeYield = 16;

    private readonly Func<IPEndPoint, IPEndPoint, TlsConnection> _accept;
    private readonly ConcurrentDictionary<TlsConnection, SipServerConnection> _byTls = new();
    private readonly SipTlsServerOptions _options;
    private readonly ILogger _logger;
    private readonly SipResponder _responder = new(new ToTagGenerator());
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly TaskCompletionSource _allEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<SipServerConnection> _connectionEnded;
    private int _open; // connections accepted and not yet ended (waiting ones included)
    private int _stopRequested; // 1 once no connection can be added: the last to end completes _allEnded
    private readonly CancellationTokenSource _stopping = new();
    private readonly AddressConnectionLimit _perAddress;
    private readonly DescriptorShortage _descriptors;
    private readonly HandshakeAdmission _handshakes;
    private readonly RefusalCounter _capRefusals;
    private readonly RefusalCounter _handshakePauses;
    private readonly Channel<WaitingConnection> _waiting = Channel.CreateUnbounded<WaitingConnection>(new UnboundedChannelOptions { SingleReader = true });
    private Task _admitting = Task.CompletedTask;
    private int _waitingCount;
    private readonly Lock _stopLock = new();
    private Task? _stopped;
    private long _lastConnectionId;
    private long _refusedAtCap; // connections refused at ConnectionCap since the last accept below it
    private int _sharedHeld; // slots held by other listeners' connections (ISharedConnectionSlots), within DescriptorCap with _open

    private SipTlsServer(Func<IPEndPoint, IPEndPoint, TlsConnection> accept, SipTlsServerOptions options, ILogger logger)
    {
        _accept = accept;
        _connectionEnded = OnConnectionEnded;
        _options = options;
        _logger = logger;
        _perAddress = new AddressConnectionLimit(options.MaxConnectionsPerAddress, options.PerAddressRefusalLogInterval);
        _descriptors = new DescriptorShortage(options.DescriptorShortageLogInterval);
        _handshakes = new HandshakeAdmission(options.MaxHandshakesInProgress, options.HandshakeSlotTime ?? options.HandshakeTimeout / 2);
        _capRefusals = new RefusalCounter(options.PerAddressRefusalLogInterval);
        _handshakePauses = new RefusalCounter(options.PerAddressRefusalLogInterval);
        ConnectionCap = options.MaxConnections;
    }

    /// <summary>
    /// Connections open at once beyond which new ones are refused: <see cref="SipTlsServerOptions.MaxConnections"/>, or
    /// lower when the file-descriptor limit leaves room for fewer (<see cref="DescriptorBudget"/>, measured at start).
    /// </summary>
    public int ConnectionCap { get; private set; }

    /// <summary>The descriptor limit's cap as measured at start, or null when there is none (or it is off).</summary>
    public DescriptorCap? DescriptorCap { get; private set; }

    /// <summary>Handshakes in progress counting towards <see cref="SipTlsServerOptions.MaxHandshakesInProgress"/> now.</summary>
    public int HandshakesInProgress => _handshakes.Held;

    /// <summary>The addresses actually bound, in the order of <see cref="SipTlsServerOptions.ListenEndpoints"/>.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndpoints { get; private set; } = [];

    /// <summary>Connections open right now.</summary>
    public int ConnectionCount => Volatile.Read(ref _open);

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> when an address cannot be bound (nothing stays bound then).</summary>
    public static SipTlsServer Start(TlsProfile profile, SipTlsServerOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.Role != TlsRole.Server)
        {
            throw new ArgumentException($"profile '{profile.Label}' is a client profile", nameof(profile));
        }

        return Start((_, _) => profile.CreateConnection(), options, loggerFactory);
    }

    /// <summary>
    /// Binds and starts accepting with connections from <paramref name="accept"/> (local, remote), e.g.
    /// <see cref="TlsModule.AcceptConnection"/>. Throws <see cref="SocketException"/> when an address cannot be bound.
    /// </summary>
    public static SipTlsServer Start(Func<IPEndPoint, IPEndPoint, TlsConnection> accept, SipTlsServerOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(accept);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);

        if (options.ListenEndpoints.Count == 0)
        {
            throw new ArgumentException("no address to listen on", nameof(options));
        }

        options.Framing.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxConnectionsPerAddress);
        ArgumentOutOfRangeException.ThrowIfNegative(options.DescriptorReserve);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxHandshakesInProgress);
        var server = new SipTlsServer(accept, options, loggerFactory.CreateLogger("openssltls.server"));
        try
        {
            server.Bind();
            server.LimitByDescriptors();
        }
        catch
        {
            server.DisposeListeners();
            server._stopping.Dispose();
            throw;
        }

        server._admitting = server.AdmitWaitingAsync(server._stopping.Token);
        foreach (Socket listener in server._listeners)
        {
            server._acceptLoops.Add(server.AcceptLoopAsync(listener));
        }

        return server;
    }

    /// <summary>
    /// Stops accepting, asks every connection to close (close_notify when <c>send_close_notify</c> is on) and waits up to
    /// <see cref="SipTlsServerOptions.ShutdownTimeout"/> for them. Safe to call more than once; later calls await the first.
    /// </summary>
    public Task StopAsync()
    {
        lock (_stopLock)
        {
            return _stopped ??= StopOnceAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>The peer address of the connection that uses <paramref name="tls"/>, or null when it is not one of ours.</summary>
    public EndPoint? RemoteOf(TlsConnection tls) =>
        tls is not null && _byTls.TryGetValue(tls, out SipServerConnection? connection) ? connection.Remote : null;

    /// <summary>Closes the socket of the connection that uses <paramref name="tls"/> (after a module kill or expiry); false when it is not one of ours.</summary>
    public bool CloseConnection(TlsConnection tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (!_byTls.TryGetValue(tls, out SipServerConnection? connection))
        {
            return false;
        }

        connection.CloseSocket();
        return true;
    }

    private void Bind()
    {
        var bound = new List<IPEndPoint>();
        foreach (IPEndPoint endpoint in _options.ListenEndpoints)
        {
            var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _listeners.Add(listener);
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // [::] and 0.0.0.0 are separate listen addresses here, so each must bind only its own family.
                listener.DualMode = false;
            }

            if (OperatingSystem.IsLinux())
            {
                // SO_REUSEADDR alone, so a restart binds despite old connections in TIME_WAIT. Not ReuseAddress: on Unix
                // .NET sets SO_REUSEPORT with it, which would let a second server share the port instead of failing.
                listener.SetRawSocketOption(LinuxSolSocket, LinuxSoReuseAddr, BitConverter.GetBytes(1));
            }

            listener.Bind(endpoint);
            listener.Listen(_options.Backlog);
            var local = (IPEndPoint)listener.LocalEndPoint!;
            bound.Add(local);
            ServerLog.Listening(_logger, local);
        }

        LocalEndpoints = bound;
    }

    /// <summary>Slots held by other listeners' connections now (serve's WSS listener), counted against <see cref="DescriptorCap"/>.</summary>
    public int SharedSlotsHeld => Volatile.Read(ref _sharedHeld);

    bool ISharedConnectionSlots.TryAcquire()
    {
        if (RefuseAtCap(tls: false))
        {
            return false;
        }

        Interlocked.Increment(ref _sharedHeld);
        return true;
    }

    void ISharedConnectionSlots.Release() => Interlocked.Decrement(ref _sharedHeld);

    /// <summary>
    /// Whether a new connection must be refused: a TLS one at <see cref="ConnectionCap"/> (MaxConnections or the
    /// descriptor cap), any at the descriptor cap counting this listener's connections and the shared slots together
    /// (MaxConnections is each listener's own). Refusals are counted and logged once per interval; the first admission
    /// after refusals says the server accepts again.
    /// </summary>
    private bool RefuseAtCap(bool tls)
    {
        int open = Volatile.Read(ref _open);
        int all = open + Volatile.Read(ref _sharedHeld);
        (int Cap, string Limit)? full =
            tls && open >= _options.MaxConnections ? (_options.MaxConnections, "MaxConnections")
            : DescriptorCap is { } cap && all >= cap.Connections ? (cap.Connections, "the open-file limit's cap")
            : null;
        if (full is { } at)
        {
            Interlocked.Increment(ref _refusedAtCap);
            long refusedAtCap = _capRefusals.Note();
            if (refusedAtCap > 0)
            {
                ServerLog.TooManyConnections(_logger, at.Cap, at.Limit, refusedAtCap, _options.PerAddressRefusalLogInterval.TotalSeconds);
            }

            return true;
        }

        if (Volatile.Read(ref _refusedAtCap) > 0 && Interlocked.Exchange(ref _refusedAtCap, 0) is long refusedWhileFull and > 0)
        {
            ServerLog.BelowCapAgain(_logger, all, ConnectionCap, refusedWhileFull);
        }

        return false;
    }

    /// <summary>
    /// Measures the descriptor budget again, with what is open now less the connections (own and shared) it already
    /// holds: serve calls this once its other listeners are up (Kestrel and ASP.NET Core load several dozen
    /// assemblies, each holding a descriptor, after this listener measured at start).
    /// </summary>
    public void RemeasureDescriptors() => LimitByDescriptors();

    /// <summary>Sets <see cref="ConnectionCap"/> to what the descriptor limit leaves room for (after the listeners are open).</summary>
    private void LimitByDescriptors()
    {
        DescriptorCap = DescriptorBudget.Measure(_options.DescriptorReserve, Volatile.Read(ref _open) + Volatile.Read(ref _sharedHeld));
        ConnectionCap = _options.MaxConnections;
        if (DescriptorCap is { } cap && cap.Connections < ConnectionCap)
        {
            ConnectionCap = cap.Connections;
            ServerLog.CappedByDescriptors(_logger, cap.Connections, cap.SoftLimit, cap.OpenAtStart, cap.Reserve, _options.MaxConnections);
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        CancellationToken token = _stopping.Token;
        int acceptedAtOnce = 0;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                ValueTask<Socket> accepting = listener.AcceptAsync(token);
                if (!accepting.IsCompleted)
                {
                    acceptedAtOnce = 0;
                }
                else if (++acceptedAtOnce >= AcceptsBeforeYield)
                {
                    // A full backlog (a reconnect storm) completes every accept at once, and each new connection's first
                    // handshake step runs here too: without a pause this loop would keep the thread it runs on, an epoll
                    // thread when completions are inline (SocketCompletions), and every connection served by that
                    // thread would wait, its handshake timer running, until the backlog is empty.
                    acceptedAtOnce = 0;
                    await Task.Yield();
                }

                socket = await accepting.ConfigureAwait(false);
            }
            catch (Exception e) when (token.IsCancellationRequested && e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (DescriptorShortage.IsShortage(e))
            {
                if (!await RefuseForLackOfDescriptorsAsync(listener, endpoint, token).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }
            catch (SocketException e)
            {
                // Another failure of accept: log, breathe, and keep the other connections served.
                ServerLog.AcceptFailed(_logger, endpoint, e);
                await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            if (_descriptors.NoteAccepted(out long refusedForDescriptors))
            {
                ServerLog.DescriptorsAvailableAgain(_logger, endpoint, refusedForDescriptors);
            }

            if (RefuseAtCap(tls: true))
            {
                socket.Dispose();
                continue;
            }

            IPAddress? address = (socket.RemoteEndPoint as IPEndPoint)?.Address;
            if (address is not null && !_perAddress.TryAcquire(address, out long refused))
            {
                if (refused > 0)
                {
                    ServerLog.TooManyFromAddress(_logger, address, _options.MaxConnectionsPerAddress, refused);
                }

                socket.Dispose();
                continue;
            }

            socket.NoDelay = true;
            long id = Interlocked.Increment(ref _lastConnectionId);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ServerLog.Accepted(_logger, id, socket.RemoteEndPoint);
            }

            // Counted before it starts: the connection may answer its first message (and a test or tls.list may
            // count it) before this loop runs again.
            Interlocked.Increment(ref _open);
            if (Volatile.Read(ref _waitingCount) == 0 && _handshakes.HasRoom)
            {
                StartConnection(id, socket, address, endpoint, _handshakes.Enter(), token);
                continue;
            }

            // At the bound on handshakes in progress: the connection waits, accepted, in a queue of ours, its handshake
            // and its timer not started, until a handshake completes or ends (or a stalled one's slot time is up).
            // Accepting goes on, so the kernel's listen queue (net.core.somaxconn) does not overflow in a storm; a
            // connection left there too long is reset by the kernel.
            acceptedAtOnce = 0;
            Interlocked.Increment(ref _waitingCount);
            _waiting.Writer.TryWrite(new WaitingConnection(id, socket, address, endpoint));
            long pauses = _handshakePauses.Note();
            if (pauses > 0)
            {
                ServerLog.HandshakesAtBound(_logger, endpoint, _options.MaxHandshakesInProgress, pauses, _options.PerAddressRefusalLogInterval.TotalSeconds);
            }
        }
    }

    /// <summary>Starts the connections waiting for room under the bound on handshakes in progress, in order of arrival.</summary>
    private async Task AdmitWaitingAsync(CancellationToken token)
    {
        WaitingConnection? current = null;
        try
        {
            while (await _waiting.Reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (_waiting.Reader.TryRead(out WaitingConnection? next))
                {
                    current = next;
                    await _handshakes.WaitForRoomAsync(token).ConfigureAwait(false);
                    current = null;
                    Interlocked.Decrement(ref _waitingCount);
                    StartConnection(next.Id, next.Socket, next.Address, next.Listener, _handshakes.Enter(), token);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping: what still waits is closed below.
        }

        if (current is not null)
        {
            Forget(current);
        }

        while (_waiting.Reader.TryRead(out WaitingConnection? left))
        {
            Forget(left);
        }
    }

    /// <summary>Closes a connection that never started (the server stops while it waits for room).</summary>
    private void Forget(WaitingConnection waiting)
    {
        waiting.Socket.Dispose();
        Ended(waiting.Address);
    }

    /// <summary>An accepted connection waiting for room under the bound on handshakes in progress.</summary>
    private sealed record WaitingConnection(long Id, Socket Socket, IPAddress? Address, IPEndPoint Listener);

    /// <summary>
    /// Out of file descriptors: takes the waiting connection off the backlog with the reserve descriptor and closes it
    /// (so the listener is not readable again at once, and the client learns at once), or, without a reserve, waits
    /// <see cref="SipTlsServerOptions.DescriptorShortageRetry"/>; logs once per interval. False when the server stops.
    /// </summary>
    private async Task<bool> RefuseForLackOfDescriptorsAsync(Socket listener, IPEndPoint endpoint, CancellationToken token)
    {
        bool refused = false;
        if (_descriptors.ReleaseReserve())
        {
            try
            {
                using Socket waiting = await listener.AcceptAsync(token).ConfigureAwait(false);
                refused = true;
            }
            catch (Exception e) when (token.IsCancellationRequested && e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return false;
            }
            catch (SocketException)
            {
                // The freed descriptor went elsewhere (another thread, or the whole system is short): wait below.
            }
            finally
            {
                _descriptors.TakeReserve();
            }
        }

        long toLog = _descriptors.NoteFailure(refused);
        if (toLog > 0)
        {
            ServerLog.OutOfDescriptors(_logger, endpoint, toLog, Volatile.Read(ref _open), _options.DescriptorShortageLogInterval.TotalSeconds);
        }

        if (!refused)
        {
            await Task.Delay(_options.DescriptorShortageRetry, CancellationToken.None).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>The sockets of the connections open now (tests: what an idle connection still references).</summary>
    internal IReadOnlyList<Socket> OpenSockets() => [.. _byTls.Values.Select(connection => connection.Socket)];

    /// <summary>Connections open from <paramref name="address"/>, as the per-address limit counts them (tests).</summary>
    internal int ConnectionsFrom(IPAddress address) => _perAddress.CountOf(address);

    /// <summary>
    /// Creates the connection's TLS state and starts its loop, which runs on until its first wait and then on socket
    /// events; <see cref="OnConnectionEnded"/> runs when it ends. Not an async method itself: the loop's own task is the
    /// only one per connection.
    /// </summary>
    private void StartConnection(long id, Socket socket, IPAddress? address, IPEndPoint listener, HandshakeAdmission.Slot? handshake, CancellationToken stopping)
    {
        EndPoint? remote = socket.RemoteEndPoint;
        TlsConnection? tls = null;
        SipServerConnection connection;
        try
        {
            // The listener's address is the connection's local address unless it is a wildcard one (then the socket's
            // own, which the runtime reads with getsockname); the runtime's accepted socket reports the same.
            IPEndPoint local = listener.Address.Equals(IPAddress.Any) || listener.Address.Equals(IPAddress.IPv6Any) ? (IPEndPoint)socket.LocalEndPoint! : listener;
            tls = _accept(local, (IPEndPoint)remote!);
            connection = new SipServerConnection(id, socket, tls, _responder, _options, _logger, _handshakes, handshake, address, _connectionEnded);
            _byTls[tls] = connection;
        }
        catch (TlsLowMemoryException e)
        {
            handshake?.Release();
            ServerLog.ConnectionRefused(_logger, id, remote, e.Message);
            socket.Dispose();
            Ended(address);
            return;
        }
#pragma warning disable CA1031 // One connection's bug must not take the server down; it is logged with its stack.
        catch (Exception e)
#pragma warning restore CA1031
        {
            handshake?.Release();
            ServerLog.ConnectionCrashed(_logger, id, remote, e);
            socket.Dispose();
            if (tls is not null)
            {
                _byTls.TryRemove(tls, out _);
                tls.Dispose();
            }

            Ended(address);
            return;
        }

        // Its task is not kept: the loop catches and logs everything, and the stop waits on the count of open ones.
        _ = connection.RunAsync(stopping);
    }

    /// <summary>Called by a connection's loop as its very last step (it never throws: the loop logs its own failures).</summary>
    private void OnConnectionEnded(SipServerConnection connection)
    {
        _byTls.TryRemove(connection.Tls, out _);
        Ended(connection.Address);
    }

    /// <summary>A connection accepted from <paramref name="address"/> ended (or never started): it no longer counts.</summary>
    private void Ended(IPAddress? address)
    {
        if (address is not null)
        {
            _perAddress.Release(address);
        }

        // Decrement, then read the flag; the stop sets the flag, then reads the count: one of the two sees the other.
        if (Interlocked.Decrement(ref _open) == 0 && Volatile.Read(ref _stopRequested) != 0)
        {
            _allEnded.TrySetResult();
        }
    }

    private async Task StopOnceAsync()
    {
        ServerLog.Stopping(_logger, Volatile.Read(ref _open));
        await _stopping.CancelAsync().ConfigureAwait(false);
        DisposeListeners();
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        _waiting.Writer.TryComplete();
        await _admitting.ConfigureAwait(false);

        // No connection can be added now (the accept loops and the queue are done).
        Interlocked.Exchange(ref _stopRequested, 1);
        if (Volatile.Read(ref _open) == 0)
        {
            _allEnded.TrySetResult();
        }

        try
        {
            await _allEnded.Task.WaitAsync(_options.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Stragglers still hold tokens of _stopping, so it is not disposed; the GC reclaims it once they end.
            ServerLog.ShutdownTimedOut(_logger, Volatile.Read(ref _open), _options.ShutdownTimeout.TotalSeconds);
            ServerLog.Stopped(_logger);
            return;
        }

        _stopping.Dispose();
        ServerLog.Stopped(_logger);
    }

    private void DisposeListeners()
    {
        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }

        _descriptors.Dispose();
    }
}
