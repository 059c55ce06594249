using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;

namespace OpenSslTls.Module;

/// <summary>
/// The library as a SIP server uses it: the current profile set (from modparams or tls.cfg), the runtime-changeable
/// parameters, every open connection, reload, the admin views (<c>tls.info</c>, <c>tls.list</c>, <c>tls.options</c>,
/// <c>tls.kill</c>), idle expiry, events, logging, low-memory guards and metrics. Thread-safe.
/// </summary>
public sealed partial class TlsModule : IDisposable
{
    /// <summary>Kamailio's name of the event raised when an outgoing connection's handshake completes.</summary>
    public const string ConnectionOutEvent = "tls:connection-out";

    private readonly Lock _reloadGate = new();
    private readonly ConcurrentDictionary<long, TlsConnectionRecord> _connections = new();
    private readonly ConcurrentDictionary<TlsProfileGeneration, byte> _liveGenerations = new();
    private readonly ILogger _logger;
    private readonly ILogger _connectionLogger;
    private readonly ILogger _configurationLogger;
    private readonly ILogger? _profilesLogger;
    private readonly bool _handshakeTracing;
    private readonly Func<long> _availableMemory;
    private readonly OpenSslEngine? _engine;
    private readonly long _memoryProbeTicks;
    private readonly bool _clientOnly;
    private readonly Action<TlsConnectionEventArgs>? _eventCallback;
    private TlsModuleOptions _options;
    private TlsProfileGeneration _current;
    private long _nextId;
    private long _generationNumber = 1;
    private int _maxConnections;
    private long _memoryProbedAt;
    private int _memoryProbed;
    private long _availableKilobytes = long.MaxValue;
    private bool _disposed;

    private TlsModule(TlsModuleOptions options, TlsRuntimeParameters runtime, TlsProfileSet profiles, TlsModuleHostOptions host, OpenSslEngine? engine, Action<TlsConnectionEventArgs>? eventCallback)
    {
        _options = options;
        _eventCallback = eventCallback;
        _engine = engine;
        Runtime = runtime;
        Time = host.TimeProvider;
        _logger = host.LoggerFactory?.CreateLogger(TlsLogCategories.Module) ?? NullLogger.Instance;
        _connectionLogger = host.LoggerFactory?.CreateLogger(TlsLogCategories.Connections) ?? NullLogger.Instance;
        _configurationLogger = host.LoggerFactory?.CreateLogger(TlsLogCategories.Configuration) ?? NullLogger.Instance;
        _profilesLogger = host.LoggerFactory?.CreateLogger(TlsLogCategories.Profiles);
        _handshakeTracing = host.HandshakeTracing;
        _availableMemory = host.AvailableMemoryKilobytes;
        _clientOnly = host.ClientOnly;
        _memoryProbeTicks = (long)(host.MemoryProbeInterval.TotalSeconds * Time.TimestampFrequency);
        Metrics = new TlsMetrics(host.MeterFactory, () => Runtime.ClearTextQueuedBytes, ClusterInfo);
        _current = new TlsProfileGeneration(profiles, 1, Forget);
        _liveGenerations[_current] = 0;
        ConfigVariables = new TlsConfigVariables(runtime, options);
    }

    /// <summary>Raised when an outgoing connection completes its handshake (Kamailio's <c>tls:connection-out</c>).</summary>
    public event EventHandler<TlsConnectionEventArgs>? OutboundConnectionEstablished;

    /// <summary>Raised when a handshake fails, with the reason.</summary>
    public event EventHandler<TlsConnectionEventArgs>? HandshakeFailed;

    /// <summary>Raised by <see cref="SweepIdleConnections"/> for each connection past its idle limit (<c>connection_timeout</c>, then <c>tcp_connection_lifetime</c>); the host closes its socket.</summary>
    public event EventHandler<TlsConnectionEventArgs>? ConnectionExpired;

    /// <summary>Raised by <see cref="Kill"/>; the host closes the connection's socket.</summary>
    public event EventHandler<TlsConnectionEventArgs>? ConnectionKilled;

    /// <summary>The runtime-changeable parameters (connection_timeout, tcp_connection_lifetime, send_close_notify, queue caps, tls_log, tls_debug, low_mem_threshold1/2, config).</summary>
    public TlsRuntimeParameters Runtime { get; }

    /// <summary>
    /// The runtime parameters as Kamailio's cfg group <c>tls</c> (<c>cfg.get</c>/<c>cfg.set</c>): Kamailio's variable
    /// names, ranges and refusals, the read-only variables showing the start-up values.
    /// </summary>
    public TlsConfigVariables ConfigVariables { get; }

    /// <summary>The profile set new connections use.</summary>
    public TlsProfileSet Profiles => Volatile.Read(ref _current).Profiles;

    /// <summary>
    /// The handler name configured by <c>event_callback</c>, or null. When set, the handler of that name from
    /// <see cref="TlsModuleHostOptions.EventHandlers"/> runs for every <c>tls:connection-out</c>.
    /// </summary>
    public string? EventCallback => string.IsNullOrEmpty(_options.EventCallback) ? null : _options.EventCallback;

    internal TimeProvider Time { get; }

    internal TlsMetrics Metrics { get; }

    /// <summary>
    /// Validates <paramref name="options"/>, loads OpenSSL (honouring <c>tls_force_run</c>) and builds the profile set.
    /// Throws <see cref="TlsConfigurationException"/> or <see cref="TlsProfileSetException"/> naming every problem,
    /// including an <c>event_callback</c> that names no handler of <see cref="TlsModuleHostOptions.EventHandlers"/>.
    /// </summary>
    public static TlsModule Create(TlsModuleOptions options, TlsModuleHostOptions? host = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        host ??= new TlsModuleHostOptions();
        options = options.Clone();

        // Checked first: a misspelt handler name is a configuration error, found before anything is loaded.
        Action<TlsConnectionEventArgs>? eventCallback = FindEventCallback(options.EventCallback, host.EventHandlers);
        RefuseUnhandledCluster(options, host);
        ILogger? logger = host.LoggerFactory?.CreateLogger(TlsLogCategories.OpenSsl);
        var runtimeOptions = new OpenSslRuntimeOptions { Logger = logger };
        options.ApplyTo(runtimeOptions);
        OpenSslRuntime.Initialize(runtimeOptions);

        TlsRuntimeParameters runtime = options.CreateRuntimeParameters();
        runtime.TicketKeys = host.TicketKeys;
        runtime.SessionStore = host.SessionStore;

        // rand_engine must be chosen before anything draws random bytes; the engine before any /engine: key is read.
        OpenSslRandom.Configure(options.RandEngine);
        OpenSslEngine? engine = OpenSslEngine.Load(options.ToEngineOptions(), logger);
        TlsProfileSet profiles;
        try
        {
            profiles = TlsProfileSet.Load(options, runtime, host.LoggerFactory?.CreateLogger(TlsLogCategories.Profiles), engine, host.ClientOnly);
        }
        catch
        {
            engine?.Dispose();
            throw;
        }

        var module = new TlsModule(options, runtime, profiles, host, engine, eventCallback);
        // The key log is this module's own: every context of its profile sets logs where options.ToTuning() says.
        module.LogParameterNotes(options);

        return module;
    }

    /// <summary>
    /// A connection for a socket accepted on <paramref name="local"/> from <paramref name="remote"/>: the server
    /// profile by local address (else <c>[server:default]</c>), switching on the client's SNI. Throws
    /// <see cref="TlsLowMemoryException"/> when memory is under <c>low_mem_threshold1</c>, and
    /// <see cref="InvalidOperationException"/> when the module is <see cref="TlsModuleHostOptions.ClientOnly"/> and no
    /// server profile applies.
    /// </summary>
    public TlsConnection AcceptConnection(IPEndPoint local, IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        // Static, with the state passed along: no closure and no delegate made per accepted connection.
        return Register(static (generation, record, local) =>
        {
            TlsProfileSet set = generation.Profiles;
            TlsProfile profile = set.SelectServer(local);
            return profile.CreateConnection(record, SslEngineOptions.Default, serverNameSelector: set.ServerNameSelectorFor(local));
        }, local, local, remote);
    }

    /// <summary>
    /// A connection to open towards <paramref name="remote"/>: the client profile by <paramref name="serverId"/>, else
    /// by address (and <paramref name="serverName"/>), else <c>[client:default]</c>; SNI is <paramref name="serverName"/>
    /// or the profile's server_name.
    /// </summary>
    public TlsConnection OpenConnection(IPEndPoint remote, string? serverName = null, string? serverId = null, IPEndPoint? local = null, TlsSession? resumeSession = null)
    {
        ArgumentNullException.ThrowIfNull(remote);
        return Register(
            static (generation, record, state) => generation.Profiles.SelectClient(state.remote, state.serverName, state.serverId).CreateConnection(record, SslEngineOptions.Default, state.serverName, state.resumeSession),
            (remote, serverName, serverId, resumeSession),
            local,
            remote,
            serverName);
    }

    /// <summary>
    /// A connection to open towards <paramref name="remote"/> with the per-connection override Kamailio takes from the
    /// <c>xavp_cfg</c> attributes: the client profile by <see cref="TlsClientOverride.ServerId"/>, else by address (and
    /// <see cref="TlsClientOverride.ServerName"/>), else <c>[client:default]</c>; the SNI sent is
    /// <see cref="TlsClientOverride.ServerName"/> (else the chosen profile's server_name). <paramref name="local"/> is
    /// the socket's local address when known (for <see cref="List"/>), <paramref name="resumeSession"/> a session to offer.
    /// </summary>
    public TlsConnection OpenConnection(IPEndPoint remote, TlsClientOverride overrides, IPEndPoint? local = null, TlsSession? resumeSession = null)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        return OpenConnection(remote, overrides.ServerName, overrides.ServerId, local, resumeSession);
    }

    /// <summary>
    /// Re-reads the configuration (<c>config</c> as set now, or the modparams) and every file it names, builds the new
    /// set completely, then swaps it in. On any error the running set is untouched and every error is returned. Existing
    /// connections keep their set, which is freed when the last of them closes.
    /// </summary>
    public TlsReloadResult Reload()
    {
        lock (_reloadGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            TlsModuleOptions options = _options.Clone();
            options.Config = Runtime.Config;
            return Swap(options, replacesOptions: false);
        }
    }

    /// <summary>
    /// Reloads from new module options (e.g. a changed configuration section): validates them, builds the new set
    /// completely, then swaps it in, as <see cref="Reload()"/> does; on success the options become the module's and
    /// their runtime-changeable values (<c>connection_timeout</c>, the queue limits, <c>tls_log</c>, <c>config</c>, …)
    /// replace the current ones. Existing connections keep their set. On any error nothing changes and every error is
    /// returned (and logged). The parameters read once at start-up (<c>tls_force_run</c>, <c>rand_engine</c>,
    /// <c>engine</c>, <c>engine_config</c>, <c>engine_algorithms</c>, <c>event_callback</c>) cannot change here: a
    /// change to one of them fails the reload, naming it.
    /// </summary>
    public TlsReloadResult Reload(TlsModuleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_reloadGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            TlsModuleOptions next = options.Clone();
            List<string> fixedChanges = [.. StartupOnlyParameters
                .Select(name => ModuleParameters.TryGet(name, out ModuleParameter parameter) ? parameter : null)
                .Where(parameter => parameter is not null && parameter.GetText(_options) != parameter.GetText(next))
                .Select(parameter => $"{parameter!.Name}: cannot change while the module runs (it is '{parameter.GetText(_options)}', the new options say '{parameter.GetText(next)}'): it is read once at start-up, restart to apply it")];
            return fixedChanges.Count > 0 ? ReloadFailed(fixedChanges) : Swap(next, replacesOptions: true);
        }
    }

    /// <summary>Builds the set <paramref name="options"/> describe and makes it current; called under the reload gate.</summary>
    private TlsReloadResult Swap(TlsModuleOptions options, bool replacesOptions)
    {
        TlsProfileSet next;
        try
        {
            next = TlsProfileSet.Load(options, Runtime, _profilesLogger, _engine, _clientOnly);
        }
        catch (TlsConfigurationException e)
        {
            return ReloadFailed(e.Errors.Select(error => error.ToString()).ToList());
        }
        catch (TlsProfileSetException e)
        {
            return ReloadFailed(e.Failures.Select(failure => failure.Message).ToList());
        }
        catch (Exception e) when (e is OpenSslException or IOException or UnauthorizedAccessException)
        {
            return ReloadFailed([e.Message]);
        }

        if (replacesOptions)
        {
            _options = options;
            options.ApplyTo(Runtime);
        }

        var generation = new TlsProfileGeneration(next, Interlocked.Increment(ref _generationNumber), Forget);
        _liveGenerations[generation] = 0;
        TlsProfileGeneration previous = Interlocked.Exchange(ref _current, generation);
        previous.Release(); // the module's reference: the set goes with its last connection
        Metrics.Reloaded(true);
        LogReloaded(_logger, generation.Number, next.Profiles.Count);
        return new TlsReloadResult(true, generation.Number, []);
    }

    /// <summary>
    /// The modparams <see cref="Reload(TlsModuleOptions)"/> refuses to change: what they set up exists once per process
    /// or module (the cluster parameters: the host's cluster store, connected at start with its key-encryption key).
    /// </summary>
    private static readonly string[] StartupOnlyParameters = ["tls_force_run", "rand_engine", "engine", "engine_config", "engine_algorithms", "event_callback", .. ModuleParameters.ClusterNames];

    /// <summary>
    /// A <c>cluster_address</c> nothing acts on is refused: the library only carries the cluster parameters, and a
    /// node that silently resumed only its own sessions would look configured while it is not.
    /// </summary>
    private static void RefuseUnhandledCluster(TlsModuleOptions options, TlsModuleHostOptions host)
    {
        if (options.HasCluster && !host.HandlesClusterParameters)
        {
            throw new TlsConfigurationException([new TlsConfigurationDiagnostic(ModuleParameters.ClusterAddressName, 0, 0,
                $"{ModuleParameters.ClusterAddressName} is set ('{options.ClusterAddress}') but nothing in this process runs a cluster store to act on it: " +
                "in a .NET host add services.AddOpenSslTlsRedisCluster() (package OpenSslTls.Cluster.Redis) after AddOpenSslTls, or remove the parameter; openssltls serve runs the store itself")]);
        }
    }

    /// <summary><c>tls.info</c>.</summary>
    public TlsModuleInfo Info() => new(
        Volatile.Read(ref _maxConnections),
        _connections.Count,
        Runtime.ClearTextQueuedBytes,
        Volatile.Read(ref _current).Number,
        _liveGenerations.Count,
        ClusterInfo());

    /// <summary>The cluster part of <c>tls.info</c> from the ring and the store the host gave, or null without either.</summary>
    private TlsClusterInfo? ClusterInfo()
    {
        TlsTicketKeyRing? ring = Runtime.TicketKeys;
        TlsSessionStore? store = Runtime.SessionStore;
        if (ring is null && store is null)
        {
            return null;
        }

        return new TlsClusterInfo(
            (ring?.TicketsOpened ?? 0) + (ring?.TicketsRenewed ?? 0),
            ring?.TicketsUnknown ?? 0,
            ring?.Generation ?? 0,
            ring?.KeyNames.Count ?? 0,
            store?.Hits ?? 0,
            store?.Misses ?? 0,
            store?.Added ?? 0,
            (ring?.StoreErrors ?? 0) + (store?.StoreErrors ?? 0));
    }

    /// <summary><c>tls.list</c>: every open connection, by id.</summary>
    public IReadOnlyList<TlsConnectionSummary> List()
    {
        long now = Time.GetTimestamp();
        DateTimeOffset wallNow = Time.GetUtcNow();
        var rows = new List<TlsConnectionSummary>(_connections.Count);
        foreach (TlsConnectionRecord record in _connections.Values.OrderBy(r => r.Id))
        {
            TlsConnection connection = record.Connection;
            TlsConnectionInfo? info = connection.State is TlsConnectionState.Established or TlsConnectionState.PeerClosed ? connection.Info : null;
            ConnectionBufferFacts buffers = connection.ReadBufferFacts();
            long remaining = record.SecondsLeft(now, Runtime);
            int flags = (buffers.QueuedClearText > 0 ? TlsConnectionSummary.FlagWriteWantsRead : 0)
                | (buffers.Handshaked ? TlsConnectionSummary.FlagHandshaked : 0);
            rows.Add(new TlsConnectionSummary(
                record.Id,
                remaining,
                record.RemoteEndPoint?.ToString(),
                record.LocalEndPoint?.ToString(),
                info?.CipherDescription ?? string.Empty,
                info?.Protocol ?? string.Empty,
                connection.State,
                connection.Profile.Label,
                info?.ServerName,
                buffers.QueuedClearText,
                record.Generation.Number,
                info?.KeyExchangeGroup,
                wallNow - record.Age(now),
                wallNow - record.Idle(now),
                flags,
                buffers.PartialRecordBytes,
                buffers.PendingPlaintext,
                buffers.ReleasesBuffers));
        }

        return rows;
    }

    /// <summary><c>tls.options</c>: every module parameter's current value by Kamailio name (passwords masked).</summary>
    public IReadOnlyDictionary<string, string?> Options()
    {
        TlsModuleOptions current = _options.Clone();
        current.ConnectionTimeout = Runtime.ConnectionTimeout;
        current.ConnectionLifetime = Runtime.ConnectionLifetime;
        current.SendCloseNotify = Runtime.SendCloseNotify;
        current.ConnectionClearTextQueueMax = Runtime.ConnectionClearTextQueueMax;
        current.ClearTextQueueMax = Runtime.ClearTextQueueMax;
        current.ClearTextQueueBlockSize = Runtime.ClearTextQueueBlockSize;
        current.LogLevel = Runtime.LogLevel;
        current.DebugLevel = Runtime.DebugLevel;
        current.LowMemoryThreshold1 = Runtime.LowMemoryThreshold1;
        current.LowMemoryThreshold2 = Runtime.LowMemoryThreshold2;
        current.Config = Runtime.Config;
        return TlsOptionsView.Describe(current);
    }

    /// <summary><c>tls.kill</c>: closes connection <paramref name="id"/> (nothing is sent) and raises <see cref="ConnectionKilled"/>; false when unknown.</summary>
    public bool Kill(long id)
    {
        if (!_connections.TryGetValue(id, out TlsConnectionRecord? record))
        {
            return false;
        }

        TlsConnection connection = record.Connection;
        record.Killed = true;
        connection.Abort();
        ConnectionKilled?.Invoke(this, new TlsConnectionEventArgs(connection, "tls:killed"));
        return true;
    }

    /// <summary>
    /// Finds connections past their idle limit, closes them like <see cref="Kill"/> and raises
    /// <see cref="ConnectionExpired"/> for each; returns them. The limit is Kamailio's: a connection on which no
    /// application data has passed yet (only handshake bytes, or nothing) may stay idle <c>connection_timeout</c>
    /// seconds; once data has passed either way, <c>tcp_connection_lifetime</c> seconds. Idle time counts from the
    /// connection's last I/O. -1 turns either limit off; 0 expires at this sweep.
    /// </summary>
    public IReadOnlyList<TlsConnection> SweepIdleConnections()
    {
        if (Runtime.ConnectionTimeout < 0 && Runtime.ConnectionLifetime < 0)
        {
            return [];
        }

        long now = Time.GetTimestamp();
        var expired = new List<TlsConnection>();
        foreach (TlsConnectionRecord record in _connections.Values)
        {
            if (record.SecondsLeft(now, Runtime) == 0)
            {
                TlsConnection connection = record.Connection;
                connection.Abort();
                expired.Add(connection);
                ConnectionExpired?.Invoke(this, new TlsConnectionEventArgs(connection, "tls:expired"));
            }
        }

        return expired;
    }

    /// <summary>Starts a timer on the module's clock that calls <see cref="SweepIdleConnections"/> every <paramref name="interval"/>; dispose it to stop.</summary>
    public IDisposable StartIdleSweeper(TimeSpan interval) =>
        Time.CreateTimer(_ => SweepIdleConnections(), null, interval, interval);

    /// <summary>Frees the current profile set once no connection uses it. Open connections stay usable until disposed.</summary>
    public void Dispose()
    {
        lock (_reloadGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _current.Release();
            Metrics.Dispose();

            // Profiles already built keep the keys they loaded; the engine itself is only needed to load new ones.
            _engine?.Dispose();
        }
    }

    internal bool AllowIo(out long thresholdKilobytes)
    {
        long threshold = thresholdKilobytes = Runtime.EffectiveThreshold2Kilobytes;
        if (threshold == 0 || AvailableKilobytes() >= threshold)
        {
            return true;
        }

        LogLowMemory(_connectionLogger, "low_mem_threshold2", threshold, AvailableKilobytes());
        return false;
    }

    internal void OnHandshakeCompleted(TlsConnectionRecord record, TlsConnection connection)
    {
        // The metric needs only the version: the full facts (certificates, chain, as PEM) are read only for the log line,
        // or later by whoever asks for Info.
        Metrics.HandshakeCompleted(connection.Role, connection.ProtocolVersion, record.RemoteEndPoint, record.Age(Time.GetTimestamp()), record.EndHandshake());
        if (record.TakeHandshakeActivity() is { } activity)
        {
            TlsTracing.Completed(activity, connection);
        }

        LogLevel level = KamailioLogLevels.ToLogLevel(Runtime.LogLevel);
        if (_connectionLogger.IsEnabled(level) && connection.Info is { } info)
        {
            LogEstablished(_connectionLogger, level, record.Id, connection.Role, record.RemoteEndPoint?.ToString(), info.Protocol, info.CipherName, info.CipherBits,
                info.ServerName, info.PeerCertificate?.Subject.Line, info.PeerCertificate?.Issuer.Line, info.VerifyResultText);
        }

        if (connection.Role == TlsRole.Client)
        {
            var connectionOut = new TlsConnectionEventArgs(connection, ConnectionOutEvent);
            OutboundConnectionEstablished?.Invoke(this, connectionOut);
            if (_eventCallback is not null)
            {
                RunEventCallback(_eventCallback, connectionOut);
            }
        }
    }

    internal void OnHandshakeFailed(TlsConnectionRecord record, TlsConnection connection, TlsException error)
    {
        Metrics.HandshakeFailed(connection.Role, error, record.RemoteEndPoint, record.Age(Time.GetTimestamp()), record.EndHandshake());
        if (record.TakeHandshakeActivity() is { } activity)
        {
            TlsTracing.Failed(activity, error);
        }

        LogLevel level = KamailioLogLevels.ToLogLevel(Runtime.LogLevel);
        if (_connectionLogger.IsEnabled(level))
        {
            LogHandshakeFailed(_connectionLogger, level, record.Id, connection.Role, record.RemoteEndPoint?.ToString(), error.Message);
        }

        HandshakeFailed?.Invoke(this, new TlsConnectionEventArgs(connection, "tls:handshake-failed", error));
    }

    internal void Unregister(TlsConnectionRecord record)
    {
        if (_connections.TryRemove(new KeyValuePair<long, TlsConnectionRecord>(record.Id, record)))
        {
            Metrics.ConnectionClosed(handshakeEnded: !record.EndHandshake());
            if (record.TakeHandshakeActivity() is { } activity)
            {
                TlsTracing.Abandoned(activity);
            }

            LogLevel debug = KamailioLogLevels.ToLogLevel(Runtime.DebugLevel);
            if (_connectionLogger.IsEnabled(debug))
            {
                LogTrace(_connectionLogger, debug, record.Id, "released", record.Connection.Profile.Label, record.Generation.Number);
            }
        }

    }

    /// <summary>The handler <paramref name="name"/> (<c>event_callback</c>) names, null when unset; throws when none has that name.</summary>
    private static Action<TlsConnectionEventArgs>? FindEventCallback(string? name, IDictionary<string, Action<TlsConnectionEventArgs>> handlers)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        if (handlers.TryGetValue(name, out Action<TlsConnectionEventArgs>? handler) && handler is not null)
        {
            return handler;
        }

        string known = handlers.Count == 0 ? "the host registers none" : "the host registers " + string.Join(", ", handlers.Keys.Order(StringComparer.Ordinal));
        throw new TlsConfigurationException([new TlsConfigurationDiagnostic("event_callback", 0, 0,
            $"no event handler is named '{name}' ({known}); event_callback must name one, or be left unset")]);
    }

    private void RunEventCallback(Action<TlsConnectionEventArgs> handler, TlsConnectionEventArgs connectionOut)
    {
        try
        {
            handler(connectionOut);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // As a failing KEMI function in Kamailio: reported, and the connection goes on.
            LogEventCallbackFailed(_logger, _options.EventCallback!, connectionOut.EventName, connectionOut.Connection.Id, e);
        }
    }

    private TlsConnection Register<TState>(Func<TlsProfileGeneration, TlsConnectionRecord, TState, TlsConnection> create, TState state, IPEndPoint? local, IPEndPoint? remote, string? serverName = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long threshold = Runtime.EffectiveThreshold1Kilobytes;
        if (threshold != 0 && AvailableKilobytes() < threshold)
        {
            LogLowMemory(_connectionLogger, "low_mem_threshold1", threshold, AvailableKilobytes());
            throw new TlsLowMemoryException(threshold, AvailableKilobytes());
        }

        TlsProfileGeneration generation = AcquireCurrent();
        var record = new TlsConnectionRecord(this, Interlocked.Increment(ref _nextId), generation, local, remote, Time.GetTimestamp());
        TlsConnection connection;
        try
        {
            connection = create(generation, record, state);
        }
        catch
        {
            generation.Release();
            throw;
        }

        record.Connection = connection;
        if (_handshakeTracing)
        {
            record.HandshakeActivity = TlsTracing.StartHandshake(connection.Role, local, remote, serverName ?? connection.Profile.Settings.ServerName);
        }

        _connections[record.Id] = record;
        Metrics.ConnectionOpened();
        LogLevel debug = KamailioLogLevels.ToLogLevel(Runtime.DebugLevel);
        if (_connectionLogger.IsEnabled(debug))
        {
            LogTrace(_connectionLogger, debug, record.Id, "created", connection.Profile.Label, generation.Number);
        }
        int open = _connections.Count;
        int max;
        while (open > (max = Volatile.Read(ref _maxConnections)) && Interlocked.CompareExchange(ref _maxConnections, open, max) != max)
        {
        }

        return connection;
    }

    private TlsProfileGeneration AcquireCurrent()
    {
        // A reload may retire the generation between the read and the acquire; then read the new current one.
        for (int attempt = 0; ; attempt++)
        {
            TlsProfileGeneration generation = Volatile.Read(ref _current);
            if (generation.TryAcquire())
            {
                return generation;
            }

            ObjectDisposedException.ThrowIf(_disposed, this);
            if (attempt > 1000)
            {
                throw new InvalidOperationException("no live profile generation to create a connection from");
            }
        }
    }

    /// <summary>Called once by a generation whose last reference went: it is no longer live.</summary>
    private void Forget(TlsProfileGeneration generation) => _liveGenerations.TryRemove(generation, out _);

    private long AvailableKilobytes()
    {
        long now = Time.GetTimestamp();
        if (Volatile.Read(ref _memoryProbed) == 0 || now - Interlocked.Read(ref _memoryProbedAt) >= _memoryProbeTicks)
        {
            Interlocked.Exchange(ref _availableKilobytes, _availableMemory());
            Interlocked.Exchange(ref _memoryProbedAt, now);
            Volatile.Write(ref _memoryProbed, 1);
        }

        return Interlocked.Read(ref _availableKilobytes);
    }

    private TlsReloadResult ReloadFailed(List<string> errors)
    {
        Metrics.Reloaded(false);
        LogReloadFailed(_logger, errors.Count, string.Join("; ", errors));
        return new TlsReloadResult(false, Volatile.Read(ref _current).Number, errors);
    }

    /// <summary>
    /// Says at start-up what the module parameters that act outside OpenSSL do here, so none is silently ignored: where
    /// the key log goes (or why nothing is logged despite keylog_mode), and the parameters that have no effect in one
    /// .NET process (xavp_cfg, provider_quirks, provider_quirks_config, init_mode).
    /// </summary>
    private void LogParameterNotes(TlsModuleOptions options)
    {
        if (options.KeyLogPath is { } file)
        {
            LogKeylog(_configurationLogger, file);
        }

        if (options.KeyLogPeerEndPoint is { } peer)
        {
            LogKeylog(_configurationLogger, "udp:" + peer);
        }

        if ((options.KeylogMode & 3) == 3 && (options.KeylogMode & 4) != 0)
        {
            LogKeylog(_configurationLogger, "the log (tlskeylog: lines)");
        }

        foreach (TlsParameterNote note in options.IneffectiveParameters())
        {
            LogParameterInert(_configurationLogger, note.Parameter, note.Value, note.Reason);
        }
    }

    [LoggerMessage(EventId = 10, Message = "TLS connection {Id} ({Role}) with {Remote}: {Protocol} {Cipher} ({Bits} bits), SNI {ServerName}, peer subject {Subject}, issuer {Issuer}, verify: {Verify}")]
    private static partial void LogEstablished(ILogger logger, LogLevel level, long id, TlsRole role, string? remote, string protocol, string cipher, int bits, string? serverName, string? subject, string? issuer, string verify);

    [LoggerMessage(EventId = 11, Message = "TLS connection {Id} ({Role}) with {Remote}: handshake failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, LogLevel level, long id, TlsRole role, string? remote, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "TLS profiles reloaded: generation {Generation}, {Count} profiles")]
    private static partial void LogReloaded(ILogger logger, long generation, int count);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "TLS reload refused, the running profiles stay: {Count} errors: {Errors}")]
    private static partial void LogReloadFailed(ILogger logger, int count, string errors);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "{Threshold}: available memory {Available} KB is below {Limit} KB")]
    private static partial void LogLowMemory(ILogger logger, string threshold, long limit, long available);

    [LoggerMessage(EventId = 16, Message = "TLS connection {Id} {What} (profile {Profile}, generation {Generation})")]
    private static partial void LogTrace(ILogger logger, LogLevel level, long id, string what, string profile, long generation);

    [LoggerMessage(EventId = 17, Level = LogLevel.Error, Message = "event_callback {Handler} failed for {Event} on connection {Id}")]
    private static partial void LogEventCallbackFailed(ILogger logger, string handler, string @event, long id, Exception exception);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "TLS key logging is ON: session secrets are written to {File}; anyone who can read it can decrypt captured traffic")]
    private static partial void LogKeylog(ILogger logger, string file);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "{Parameter}={Value} has no effect here: {Reason}")]
    private static partial void LogParameterInert(ILogger logger, string parameter, string value, string reason);
}
