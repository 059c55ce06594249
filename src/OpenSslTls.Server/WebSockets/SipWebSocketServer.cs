using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenSslTls.AspNetCore;
using OpenSslTls.Connections;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// SIP over secure WebSocket (RFC 7118): a Kestrel server whose listeners run TLS through the connection middleware
/// the caller installs (serve: OpenSslTls over its <c>TlsModule</c>, so profiles, SNI, reload, admin views and metrics
/// are the TLS listener's), accepting WebSocket upgrades with the <c>sip</c> subprotocol on any path and serving each
/// with a <see cref="SipWebSocketSession"/>; optionally the operators' status page (<see cref="StatusPage"/>).
/// </summary>
internal sealed class SipWebSocketServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SipWebSocketServerOptions _options;
    private readonly ILogger _logger;
    private readonly SipResponder _responder;
    private readonly StatusPage? _statusPage;
    private readonly List<ListenOptions> _listeners = [];
    private readonly ConcurrentDictionary<long, TrackedConnection> _connections = new();
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly AddressConnectionLimit _perAddress;
    private readonly Lock _stopLock = new();
    private Task? _stopped;
    private long _lastConnectionId;

    private SipWebSocketServer(SipWebSocketServerOptions options, ILoggerFactory loggers, Action<ListenOptions> useTls, StatusPage? statusPage, SipResponder responder)
    {
        _options = options;
        _logger = loggers.CreateLogger("openssltls.wss");
        _responder = responder;
        _statusPage = statusPage;
        _perAddress = new AddressConnectionLimit(options.MaxConnectionsPerAddress, TimeSpan.FromSeconds(10));

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<ILoggerFactory>(new KestrelLogging(loggers, options.LogLevel)); // serve's console logger: one format
        builder.Services.AddSingleton<IHostLifetime, ServeHostLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = options.MaxConnections;
            foreach (IPEndPoint endpoint in options.ListenEndpoints)
            {
                kestrel.Listen(endpoint, listen =>
                {
                    _listeners.Add(listen);
                    listen.Protocols = HttpProtocols.Http1; // WebSocket upgrades are HTTP/1.1 (RFC 6455)
                    if (options.SharedSlots is { } slots)
                    {
                        // First, so a connection beyond the descriptor budget costs no TLS (and no per-address) work.
                        listen.Use(next => context => HoldSlotAsync(slots, context, next));
                    }

                    listen.Use(next => context => LimitPerAddressAsync(context, next));
                    useTls(listen);
                    listen.Use(next => context => TrackAsync(context, next));
                });
            }
        });
        _app = builder.Build();
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval });
        _app.Run(HandleAsync);
    }

    /// <summary>The addresses actually bound, in the order of <see cref="SipWebSocketServerOptions.ListenEndpoints"/>.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndpoints => [.. _listeners.Select(listen => listen.IPEndPoint!)];

    /// <summary>Connections open on this listener right now (upgraded or not).</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>SIP WebSocket sessions open right now.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>
    /// Binds and starts serving. <paramref name="useTls"/> installs the TLS connection middleware on each listener
    /// (serve: <c>UseOpenSslTls(module)</c>; nothing: plain HTTP, for tests of the WebSocket layer). Throws
    /// <see cref="IOException"/> when an address cannot be bound.
    /// </summary>
    public static async Task<SipWebSocketServer> StartAsync(
        SipWebSocketServerOptions options,
        ILoggerFactory loggers,
        Action<ListenOptions> useTls,
        StatusPage? statusPage = null,
        SipResponder? responder = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(useTls);
        if (options.ListenEndpoints.Count == 0)
        {
            throw new ArgumentException("no address to listen on", nameof(options));
        }

        options.Framing.Validate();
        var server = new SipWebSocketServer(options, loggers, useTls, statusPage, responder ?? new SipResponder(new ToTagGenerator()));
        try
        {
            await server._app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await server._app.DisposeAsync().ConfigureAwait(false);
            server._stopping.Dispose();
            throw;
        }

        foreach (IPEndPoint endpoint in server.LocalEndpoints)
        {
            WebSocketLog.Listening(server._logger, endpoint);
        }

        if (statusPage is not null)
        {
            WebSocketLog.StatusPage(server._logger, StatusPageOptions.Path, options.StatusPage?.AllowRemote == true ? "any peer" : "loopback peers only");
        }

        return server;
    }

    /// <summary>The peer address of the connection that uses <paramref name="tls"/>, or null when it is not one of ours.</summary>
    public EndPoint? RemoteOf(TlsConnection tls) =>
        tls is not null && _connections.TryGetValue(tls.Id, out TrackedConnection? connection) && connection.Tls is not null ? connection.Remote : null;

    /// <summary>
    /// Aborts the connection that uses <paramref name="tls"/> (after a module kill or expiry; the middleware does so as
    /// well, this makes it certain); false when it is not one of ours.
    /// </summary>
    public bool CloseConnection(TlsConnection tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (!_connections.TryGetValue(tls.Id, out TrackedConnection? connection) || connection.Tls is null)
        {
            return false;
        }

        connection.Abort();
        return true;
    }

    /// <summary>Asks every session to close (close frame 1001), stops Kestrel, and waits up to the shutdown timeout. Safe to call more than once.</summary>
    public Task StopAsync()
    {
        lock (_stopLock)
        {
            return _stopped ??= StopOnceAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task StopOnceAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_sessions.Values).WaitAsync(_options.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Kestrel's stop below aborts whatever is left.
        }

        using var limit = new CancellationTokenSource(_options.ShutdownTimeout);
        await _app.StopAsync(limit.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task HoldSlotAsync(ISharedConnectionSlots slots, ConnectionContext context, ConnectionDelegate next)
    {
        if (!slots.TryAcquire())
        {
            context.Abort(); // refused and logged by the budget; the descriptor is given back at once
            return;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task LimitPerAddressAsync(ConnectionContext context, ConnectionDelegate next)
    {
        IPAddress? address = (context.RemoteEndPoint as IPEndPoint)?.Address;
        if (address is not null && !_perAddress.TryAcquire(address, out long refused))
        {
            if (refused > 0)
            {
                ServerLog.TooManyFromAddress(_logger, address, _options.MaxConnectionsPerAddress, refused);
            }

            return; // Kestrel closes the connection when its delegate returns
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (address is not null)
            {
                _perAddress.Release(address);
            }
        }
    }

    private async Task TrackAsync(ConnectionContext context, ConnectionDelegate next)
    {
        // Under UseOpenSslTls the module's id, so logs, tls.list and tls.kill name the connection alike.
        IOpenSslTlsFeature? tls = context.Features.Get<IOpenSslTlsFeature>();
        long id = tls?.ConnectionId ?? -Interlocked.Increment(ref _lastConnectionId);
        var tracked = new TrackedConnection(id, context, tls);
        context.Features.Set(tracked);
        _connections[id] = tracked;
        ServerLog.Accepted(_logger, id, context.RemoteEndPoint);
        if (tls is not null && _logger.IsEnabled(LogLevel.Information))
        {
            ServerLog.Established(_logger, id, context.RemoteEndPoint, TlsFactsText.Format(tls.Info));
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(id, out _);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (_statusPage is not null && StatusPage.Handles(context.Request.Path))
        {
            await _statusPage.HandleAsync(context, _stopping.Token).ConfigureAwait(false);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            // Not an upgrade: say what this port is for instead of an empty 404.
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.Upgrade = "websocket";
            await context.Response.WriteAsync($"SIP over WebSocket (RFC 7118): open a WebSocket with the subprotocol '{SipWebSocketServerOptions.SipSubprotocol}'\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        IList<string> offered = context.WebSockets.WebSocketRequestedProtocols;
        if (!offered.Contains(SipWebSocketServerOptions.SipSubprotocol, StringComparer.Ordinal))
        {
            string what = offered.Count == 0 ? "none" : string.Join(", ", offered);
            WebSocketLog.SubprotocolRefused(_logger, context.Connection.RemoteIpAddress, what);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"WebSocket subprotocol '{SipWebSocketServerOptions.SipSubprotocol}' required (RFC 7118); offered: {what}\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        TrackedConnection? tracked = context.Features.Get<TrackedConnection>();
        using System.Net.WebSockets.WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = SipWebSocketServerOptions.SipSubprotocol,
            DangerousEnableCompression = false,
        }).ConfigureAwait(false);
        long id = tracked?.Id ?? -Interlocked.Increment(ref _lastConnectionId);
        EndPoint? remote = tracked?.Remote ?? (context.Connection.RemoteIpAddress is { } ip ? new IPEndPoint(ip, context.Connection.RemotePort) : null);
        var session = new SipWebSocketSession(id, socket, remote, tracked?.Tls?.Profile, _responder, _options, _logger);
        WebSocketLog.Upgraded(_logger, id, remote, context.Request.Path.Value ?? "/");
        Task running = session.RunAsync(_stopping.Token);
        _sessions[id] = running;
        try
        {
            await running.ConfigureAwait(false);
        }
        finally
        {
            _sessions.TryRemove(id, out _);
        }
    }
}
