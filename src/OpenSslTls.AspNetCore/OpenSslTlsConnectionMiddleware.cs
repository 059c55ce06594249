using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Module;

namespace OpenSslTls.AspNetCore;

/// <summary>
/// The Kestrel connection middleware: for each accepted connection a <see cref="TlsConnection"/> from the module and a
/// <see cref="TlsDuplexPipe"/> over Kestrel's transport; after the handshake (bounded by the timeout) the TLS features
/// are set and the rest of the pipeline (HTTP/1.1 or HTTP/2, by ALPN) runs on the plaintext pipe. A failed handshake
/// is logged at debug and closes that connection only. <c>tls.kill</c> and the idle sweep abort the Kestrel connection.
/// </summary>
internal sealed partial class OpenSslTlsConnectionMiddleware
{
    // As Kestrel sizes its own connection pipes: requests may buffer up to 1 MiB, responses 64 KiB before the writer waits.
    private const long InputPause = 1024 * 1024;
    private const long OutputPause = 64 * 1024;

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly ConnectionDelegate _next;
    private readonly TlsModule _module;
    private readonly TimeSpan _handshakeTimeout;
    private readonly ClientCertificateMode _clientCertificateMode;
    private readonly SslApplicationProtocol[] _applicationProtocols;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, ConnectionContext> _open = new();
    private readonly ConditionalWeakTable<System.Buffers.MemoryPool<byte>, TlsDuplexPipeOptions> _pipeOptions = new();
    private TlsDuplexPipeOptions? _unpooledPipeOptions;

    internal OpenSslTlsConnectionMiddleware(
        ConnectionDelegate next,
        TlsModule module,
        TimeSpan handshakeTimeout,
        ClientCertificateMode clientCertificateMode,
        SslApplicationProtocol[] applicationProtocols,
        ILogger logger)
    {
        _next = next;
        _module = module;
        _handshakeTimeout = handshakeTimeout;
        _clientCertificateMode = clientCertificateMode;
        _applicationProtocols = applicationProtocols;
        _logger = logger;
    }

    /// <summary>Connections to abort when the module kills or expires them: from here until <see cref="Detach"/>.</summary>
    internal void Attach()
    {
        _module.ConnectionKilled += OnConnectionEnded;
        _module.ConnectionExpired += OnConnectionEnded;
    }

    internal void Detach()
    {
        _module.ConnectionKilled -= OnConnectionEnded;
        _module.ConnectionExpired -= OnConnectionEnded;
    }

    internal async Task OnConnectionAsync(ConnectionContext context)
    {
        // Off the accept loop first, as Kestrel's own HTTPS middleware does: the handshake's first steps run synchronously.
        await Task.Yield();

        TlsConnection connection;
        try
        {
            connection = _module.AcceptConnection(EndPointOf(context.LocalEndPoint), EndPointOf(context.RemoteEndPoint));
        }
        catch (Exception e) when (e is TlsException or InvalidOperationException or ObjectDisposedException)
        {
            // Low memory (low_mem_threshold1), a client-only module, a module disposed at shutdown: this connection only.
            LogRefused(_logger, context.ConnectionId, e.Message, e);
            return;
        }

        if (_applicationProtocols.Length > 0)
        {
            connection.SetFallbackApplicationProtocols(_applicationProtocols);
        }

        var tls = new TlsDuplexPipe(context.Transport, connection, PipeOptionsFor(context));
        await using (tls.ConfigureAwait(false))
        {
            if (!await AuthenticateAsync(context, tls).ConfigureAwait(false))
            {
                return;
            }

            TlsConnectionInfo info = connection.Info!;
            if (_clientCertificateMode == ClientCertificateMode.RequireCertificate && info.PeerCertificate is null)
            {
                LogHandshakeFailed(_logger, context.ConnectionId, "the client sent no certificate and one is required", null);
                return;
            }

            var features = new TlsConnectionFeatures(connection, info);
            context.Features.Set<ITlsConnectionFeature>(features);
            context.Features.Set<ITlsHandshakeFeature>(features);
            context.Features.Set<ITlsApplicationProtocolFeature>(features);
            context.Features.Set<IOpenSslTlsFeature>(features);
            if (context.Features.Get<IConnectionMetricsTagsFeature>() is { } tags)
            {
                // Kestrel's own tag on kestrel.connection.duration for TLS connections.
                tags.Tags.Add(new("tls.protocol.version", VersionTag(features.Protocol)));
            }

            IDuplexPipe transport = context.Transport;
            context.Transport = tls;
            _open[connection.Id] = context;
            try
            {
                await _next(context).ConfigureAwait(false);
            }
            finally
            {
                _open.TryRemove(connection.Id, out _);
                context.Transport = transport;

                // Completing Output closes TLS (close_notify with send_close_notify); once it went out (or the peer is
                // gone), disposal ends what is left. Bounded: a peer that stops reading does not hold the connection.
                await tls.Output.CompleteAsync().ConfigureAwait(false);
                try
                {
                    await tls.Completion.WaitAsync(CloseTimeout).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Disposal cuts it short.
                }
            }
        }
    }

    /// <summary>The handshake within the timeout; false (logged, the connection to be closed) when it did not complete.</summary>
    private async Task<bool> AuthenticateAsync(ConnectionContext context, TlsDuplexPipe tls)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed);
        if (_handshakeTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(_handshakeTimeout);
        }

        try
        {
            await tls.AuthenticateAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (context.ConnectionClosed.IsCancellationRequested)
        {
            LogHandshakeFailed(_logger, context.ConnectionId, "the connection closed during the handshake", null);
        }
        catch (OperationCanceledException)
        {
            LogHandshakeTimedOut(_logger, context.ConnectionId, _handshakeTimeout);
        }
        catch (Exception e) when (e is TlsException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            LogHandshakeFailed(_logger, context.ConnectionId, e.Message, e);
        }

        return false;
    }

    private void OnConnectionEnded(object? sender, TlsConnectionEventArgs e)
    {
        if (_open.TryGetValue(e.Connection.Id, out ConnectionContext? context))
        {
            LogAborted(_logger, context.ConnectionId, e.Connection.Id, e.EventName);
            context.Abort(new ConnectionAbortedException($"The TLS connection was ended by the module ({e.EventName})."));
        }
    }

    private TlsDuplexPipeOptions PipeOptionsFor(ConnectionContext context)
    {
        // Kestrel's memory pool, so the plaintext pipes share the transport's slabs. Inline schedulers: the transport's
        // own continuation already runs on the thread pool, so HTTP parsing runs on it straight after decryption (one
        // hop per read, as with Kestrel's SslStream) and a response is encrypted on the thread that flushed it.
        // One set of options per pool, not two per connection: Kestrel's socket transport hands out a few pools (one
        // per I/O queue) in turn, and every connection of a queue comes with its queue's pool.
        System.Buffers.MemoryPool<byte>? pool = context.Features.Get<IMemoryPoolFeature>()?.MemoryPool;
        if (pool is null)
        {
            return _unpooledPipeOptions ??= CreatePipeOptions(null);
        }

        return _pipeOptions.TryGetValue(pool, out TlsDuplexPipeOptions? options) ? options : _pipeOptions.GetValue(pool, CreatePipeOptions);
    }

    private static TlsDuplexPipeOptions CreatePipeOptions(System.Buffers.MemoryPool<byte>? pool) => new()
    {
        InputPipeOptions = new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, InputPause, InputPause / 2, useSynchronizationContext: false),
        OutputPipeOptions = new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, OutputPause, OutputPause / 2, useSynchronizationContext: false),
    };

    private static IPEndPoint EndPointOf(EndPoint? endPoint) => endPoint as IPEndPoint ?? new IPEndPoint(IPAddress.IPv6None, 0);

    private static string VersionTag(System.Security.Authentication.SslProtocols protocol) => protocol switch
    {
        System.Security.Authentication.SslProtocols.Tls13 => "1.3",
        System.Security.Authentication.SslProtocols.Tls12 => "1.2",
        _ => "unknown",
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: TLS handshake failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string connectionId, string reason, Exception? exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: TLS handshake timed out after {Timeout}")]
    private static partial void LogHandshakeTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: refused before the handshake: {Reason}")]
    private static partial void LogRefused(ILogger logger, string connectionId, string reason, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Connection {ConnectionId} (TLS connection {TlsConnectionId}) aborted: {EventName}")]
    private static partial void LogAborted(ILogger logger, string connectionId, long tlsConnectionId, string eventName);
}
