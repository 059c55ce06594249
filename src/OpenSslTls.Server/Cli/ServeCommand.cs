using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using OpenSslTls.AspNetCore;
using OpenSslTls.SipEndpoint.Certificates;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.WebSockets;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Module;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary><c>openssltls serve</c>: builds the server profile from the command line and runs the endpoint until stopped.</summary>
internal static class ServeCommand
{
    /// <summary>Runs until <paramref name="stop"/> fires, then closes every connection and returns <see cref="ExitCodes.Success"/>.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter errors, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ServeSettings settings;
        try
        {
            settings = ServeSettings.Parse(args);
        }
        catch (CommandLineException e)
        {
            await errors.WriteLineAsync($"openssltls serve: {e.Message} {UsageText.Hint("serve")}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using ILoggerFactory loggers = ConsoleLogging.Create(settings.LogLevel);
        ILogger log = loggers.CreateLogger("openssltls");
        TlsModule module;
        string dataDirectory;
        ClusterTicketKeys? clusterKeys = null;
        TlsModuleOptions? startOptions = null;
        // Listening before the module exists, so its up-down counters are complete (the status page shows them).
        using MetricsReader? metrics = settings.StatusPage ? new MetricsReader(TlsMetrics.MeterName) : null;
        try
        {
            dataDirectory = PrepareDataDirectory(settings, log);
            TlsModuleOptions options = BuildOptions(settings, dataDirectory, log);
            // serve opens no outgoing connection today, but a configuration naming a built-in event_callback must start.
            // serve acts on the cluster parameters itself (ClusterTicketKeys), wherever they came from.
            TlsModuleHostOptions host = TlsEventCallbacks.Register(new TlsModuleHostOptions { LoggerFactory = loggers, HandlesClusterParameters = true }, line => CommandLog.EventCallback(log, line));
            clusterKeys = ClusterTicketKeys.Prepare(options, host, log);
            startOptions = options.Clone();
            module = TlsModule.Create(options, host);
        }
        catch (TlsConfigurationException e)
        {
            CommandLog.CannotStart(log, "configuration errors:" + Environment.NewLine + string.Join(Environment.NewLine, e.Errors));
            return ExitCodes.Failure;
        }
        catch (TlsProfileSetException e)
        {
            // One short line per distinct failure; OpenSSL's whole queue (with its source file:line) at debug level.
            foreach (string line in ErrorText.Lines(e))
            {
                CommandLog.CannotStart(log, line);
            }

            CommandLog.FailureDetail(log, e.Message);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is OpenSslException or OpenSslVersionException or InvalidOperationException or IOException or InvalidDataException or UnauthorizedAccessException or DllNotFoundException or TlsEngineException)
        {
            CommandLog.CannotStart(log, ErrorText.Short(e));
            CommandLog.FailureDetail(log, e.Message);
            return ExitCodes.Failure;
        }

        await using (clusterKeys)
        using (module)
        {
            if (clusterKeys is not null)
            {
                await clusterKeys.StartAsync(loggers).ConfigureAwait(false);
            }

            TlsLibraryInfo library = TlsLibraryInfo.Describe();
            CommandLog.Library(log, library.LibraryVersion, library.OpenSslVersionText, library.LibSslPath, library.IoShimInUse ? $"C shim {library.IoShimPath}" : $"managed BIO, {library.IoShimStatus}");
            CommandLog.SocketCompletions(log, SocketCompletions.Describe(Environment.GetEnvironmentVariable(SocketCompletions.InlineVariable) == "1"));
            CommandLog.Configuration(log, settings.Sources.Describe(), module.Profiles.Profiles.Count);
            TlsProfile serverDefault = module.Profiles.ServerDefault;
            CommandLog.TlsPolicy(log, KamailioName(serverDefault.Settings.VerifyClient), serverDefault.Settings.CaList ?? "-", module.Runtime.SendCloseNotify ? "on" : "off");
            SipTlsServer server;
            try
            {
                server = SipTlsServer.Start(module.AcceptConnection, new SipTlsServerOptions { ListenEndpoints = settings.Listen, MaxConnections = settings.MaxConnections, MaxConnectionsPerAddress = settings.MaxConnectionsPerAddress, DescriptorReserve = settings.DescriptorReserve, MaxHandshakesInProgress = settings.MaxHandshakesInProgress }, loggers);
            }
            catch (SocketException e)
            {
                CommandLog.CannotStart(log, $"cannot listen on {string.Join(", ", settings.Listen)}: {e.Message}");
                return ExitCodes.Failure;
            }

            SipWebSocketServer? wss = null;
            if (settings.ListenWss.Count > 0)
            {
                try
                {
                    wss = await StartWebSocketListenerAsync(settings, module, metrics, server, loggers, log).ConfigureAwait(false);
                    server.RemeasureDescriptors(); // the budget both listeners share, now that Kestrel holds its descriptors too
                }
                catch (IOException e)
                {
                    await server.StopAsync().ConfigureAwait(false);
                    CommandLog.CannotStart(log, $"cannot listen on {string.Join(", ", settings.ListenWss)}: {e.Message}");
                    return ExitCodes.Failure;
                }
            }

            EndPoint? RemoteOf(TlsConnection tls) => server.RemoteOf(tls) ?? wss?.RemoteOf(tls);

            void OnClosedByModule(object? sender, TlsConnectionEventArgs e)
            {
                CommandLog.TlsEvent(log, e.EventName, e.Connection.Id, RemoteOf(e.Connection)?.ToString(), e.Connection.Profile.Label);
                if (!server.CloseConnection(e.Connection))
                {
                    wss?.CloseConnection(e.Connection);
                }
            }

            void OnOutbound(object? sender, TlsConnectionEventArgs e) =>
                CommandLog.TlsEvent(log, e.EventName, e.Connection.Id, null, e.Connection.Profile.Label);

            void OnHandshakeFailed(object? sender, TlsConnectionEventArgs e) =>
                CommandLog.HandshakeFailed(log, e.Connection.Id, RemoteOf(e.Connection)?.ToString(), e.Error?.Message ?? e.EventName);

            module.ConnectionKilled += OnClosedByModule;
            module.ConnectionExpired += OnClosedByModule;
            module.OutboundConnectionEstablished += OnOutbound;
            module.HandshakeFailed += OnHandshakeFailed;
            ControlServer? control = null;
            try
            {
                string controlPath = settings.ControlSocket ?? Path.Combine(dataDirectory, "control.sock");
                try
                {
                    control = ControlServer.Start(controlPath, module, log, () => ClusterChanges(settings, startOptions!, clusterKeys));
                    CommandLog.ControlSocket(log, control.Path);
                }
                catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
                {
                    await server.StopAsync().ConfigureAwait(false);
                    if (wss is not null)
                    {
                        await wss.StopAsync().ConfigureAwait(false);
                    }

                    CommandLog.CannotStart(log, $"cannot open the control socket {controlPath}: {e.Message}");
                    return ExitCodes.Failure;
                }

                using IDisposable sweeper = module.StartIdleSweeper(settings.SweepInterval);
                CommandLog.Running(log, OpenSslRuntime.Version.ToString());
                try
                {
                    await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The stop request: fall through to a graceful shutdown.
                }

                await server.StopAsync().ConfigureAwait(false);
                if (wss is not null)
                {
                    await wss.StopAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                if (control is not null)
                {
                    await control.DisposeAsync().ConfigureAwait(false);
                }

                module.ConnectionKilled -= OnClosedByModule;
                module.ConnectionExpired -= OnClosedByModule;
                module.OutboundConnectionEstablished -= OnOutbound;
                module.HandshakeFailed -= OnHandshakeFailed;
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The SIP-over-WebSocket listener (--listen-wss) on serve's module: TLS through the OpenSslTls Kestrel middleware
    /// with connections from <paramref name="module"/>, so profiles, SNI, reload, tls.list/tls.info and metrics are
    /// shared with the TLS listener; with --status-page, the status page on it.
    /// </summary>
    private static Task<SipWebSocketServer> StartWebSocketListenerAsync(ServeSettings settings, TlsModule module, MetricsReader? metrics, SipTlsServer tlsServer, ILoggerFactory loggers, ILogger log)
    {
        SipWebSocketServer? started = null;
        StatusPage? page = null;
        StatusPageOptions? pageOptions = settings.StatusPage ? new StatusPageOptions { AllowRemote = settings.StatusPageRemote } : null;
        if (pageOptions is not null)
        {
            page = new StatusPage(pageOptions, () => StatusSnapshot.Json(module, metrics, [("tls", tlsServer.ConnectionCount), ("wss", started?.ConnectionCount ?? 0), ("wss sip sessions", started?.SessionCount ?? 0)]), log);
        }

        var options = new SipWebSocketServerOptions
        {
            ListenEndpoints = settings.ListenWss,
            MaxConnections = settings.MaxConnections,
            MaxConnectionsPerAddress = settings.MaxConnectionsPerAddress,
            StatusPage = pageOptions,
            LogLevel = settings.LogLevel,
            SharedSlots = tlsServer, // one descriptor budget for both listeners (--descriptor-reserve)
        };
        // The TLS listener's handshake timeout, and the profile's own verify_client (the middleware adds no rule of its own).
        var tls = new OpenSslTlsConnectionOptions { Module = module, HandshakeTimeout = new SipTlsServerOptions().HandshakeTimeout };
        return StartAndKeep();

        async Task<SipWebSocketServer> StartAndKeep()
        {
            started = await SipWebSocketServer.StartAsync(options, loggers, listen => listen.UseOpenSslTls(tls), page).ConfigureAwait(false);
            return started;
        }
    }

    /// <summary>The tls.cfg spelling of a verify_client mode, as operators know it.</summary>
    private static string KamailioName(VerifyClientMode mode) => mode switch
    {
        VerifyClientMode.On => "on",
        VerifyClientMode.Optional => "optional",
        VerifyClientMode.OptionalNoCa => "optional_no_ca",
        _ => "off",
    };

    /// <summary>The module options: the configuration files over the built-in default, then the command-line options over them.</summary>
    internal static TlsModuleOptions BuildOptions(ServeSettings settings, string dataDirectory, ILogger log)
    {
        var options = new TlsModuleOptions();
        settings.Sources.ApplyTo(options);
        if (settings.Certificate is not null && settings.PrivateKey is not null)
        {
            CommandLog.UsingCertificate(log, settings.Certificate, settings.PrivateKey);
            options.Certificate = Path.GetFullPath(settings.Certificate);
            options.PrivateKey = Path.GetFullPath(settings.PrivateKey);
        }
        else if (!settings.Sources.HasModuleParameters)
        {
            // The embedded default: a self-signed certificate for localhost in the data directory.
            SelfSignedFiles files = SelfSignedCertificate.Ensure(dataDirectory);
            if (files.Created)
            {
                CommandLog.CreatedSelfSigned(log, SelfSignedCertificate.ValidityDays, files.Certificate, files.PrivateKey);
            }
            else
            {
                CommandLog.UsingCertificate(log, files.Certificate, files.PrivateKey);
            }

            options.Certificate = files.Certificate;
            options.PrivateKey = files.PrivateKey;
        }

        if (settings.CaList is not null)
        {
            options.CaList = Path.GetFullPath(settings.CaList);
        }

        if (settings.Groups is not null)
        {
            options.Groups = settings.Groups;
        }

        if (settings.VerifyClientGiven)
        {
            options.VerifyClient = settings.VerifyClient;
        }

        if (settings.SendCloseNotify)
        {
            options.SendCloseNotify = true;
        }

        if (settings.MaxClientHelloBytes is { } maxClientHello)
        {
            options.MaxClientHelloBytes = maxClientHello;
        }

        ApplyClusterFlags(settings, options);
        return options;
    }

    /// <summary>
    /// The --cluster* flags over the cluster parameters of the files (flags win, as for every other setting):
    /// --cluster with --cluster-key-file replaces the pair, --cluster-rotation and --cluster-lookup-timeout each their
    /// value, which then needs a cluster from one place or the other.
    /// </summary>
    internal static void ApplyClusterFlags(ServeSettings settings, TlsModuleOptions options)
    {
        if (settings.Cluster is not null && settings.ClusterKeyFile is not null)
        {
            options.ClusterAddress = "redis://" + settings.Cluster;
            options.ClusterKeyFile = Path.GetFullPath(settings.ClusterKeyFile);
        }

        if (settings.ClusterRotation is { } rotation)
        {
            options.ClusterRotation = (int)rotation.TotalSeconds;
        }

        if (settings.ClusterLookupTimeout is { } lookup)
        {
            options.ClusterLookupTimeout = (int)lookup.TotalMilliseconds;
        }

        if (!options.HasCluster && (settings.ClusterRotation is not null || settings.ClusterLookupTimeout is not null))
        {
            throw new TlsConfigurationException([new TlsConfigurationDiagnostic(settings.ClusterRotation is not null ? "--cluster-rotation" : "--cluster-lookup-timeout", 0, 0,
                "--cluster-rotation and --cluster-lookup-timeout need --cluster, or cluster_address in the configuration files")]);
        }
    }

    /// <summary>
    /// Whether the command line configures a cluster, by a flag or in its configuration files (read here once more, before
    /// any socket exists, so the socket completion mode can follow it: see <see cref="SocketCompletions"/>). A command
    /// line or file that cannot be read counts as none here; serve then reports it and does not start.
    /// </summary>
    internal static bool ConfiguresCluster(IReadOnlyList<string> args)
    {
        try
        {
            ServeSettings settings = ServeSettings.Parse(args);
            if (settings.Cluster is not null)
            {
                return true;
            }

            var options = new TlsModuleOptions();
            settings.Sources.ApplyTo(options);
            return options.HasCluster;
        }
        catch (Exception e) when (e is CommandLineException or TlsConfigurationException or FormatException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// What tls.reload must refuse: the cluster parameters as the configuration files (and flags) say now, against what
    /// the running cluster store was set up with, and the key file's key against the one read at start. The store is
    /// set up once, when serve starts, so a change needs a restart; the reply names each parameter (the key file by
    /// name, never its contents). Empty when nothing changed (or serve reads no module parameters from a file).
    /// </summary>
    internal static IReadOnlyList<string> ClusterChanges(ServeSettings settings, TlsModuleOptions running, ClusterTicketKeys? cluster)
    {
        if (!settings.Sources.HasModuleParameters && cluster is null)
        {
            return [];
        }

        var now = new TlsModuleOptions();
        try
        {
            settings.Sources.ApplyTo(now);
            ApplyClusterFlags(settings, now);
        }
        catch (TlsConfigurationException e)
        {
            // Without the files nothing can be compared; that matters only when a cluster runs.
            return running.HasCluster
                ? [.. e.Errors.Select(error => $"{error}: the configuration cannot be read to check the cluster parameters, so nothing is reloaded")]
                : [];
        }

        const string Restart = "the cluster store is set up once, at start-up: restart serve to apply it (the running cluster and profiles stay)";
        List<string> changes = [];
        foreach (string name in ModuleParameters.ClusterNames)
        {
            ModuleParameters.TryGet(name, out ModuleParameter parameter);
            string? was = parameter.GetText(running);
            string? next = parameter.GetText(now);
            if (name == "cluster_key_file")
            {
                was = string.IsNullOrEmpty(was) ? was : running.ResolvePath(was);
                next = string.IsNullOrEmpty(next) ? next : now.ResolvePath(next);
            }

            if (was != next)
            {
                changes.Add($"{name}: changed from '{was}' to '{next}'; {Restart}");
            }
        }

        if (changes.Count == 0 && cluster is not null && running.ClusterKeyFile is { Length: > 0 } keyFile)
        {
            string path = running.ResolvePath(keyFile);
            try
            {
                if (!ClusterTicketKeys.FingerprintOf(path).AsSpan().SequenceEqual(cluster.KeyFingerprint))
                {
                    changes.Add($"cluster_key_file: the key in {path} is not the one read at start; {Restart}");
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                changes.Add($"cluster_key_file: {e.Message}; {Restart}");
            }
        }

        return changes;
    }

    private static string PrepareDataDirectory(ServeSettings settings, ILogger log)
    {
        string directory = Path.GetFullPath(settings.DataDirectory ?? DataDirectory.ResolveDefault(Environment.GetEnvironmentVariable));
        string? warning = DataDirectory.Prepare(directory);
        CommandLog.DataDirectory(log, directory);
        if (warning is not null)
        {
            CommandLog.DataDirectoryWarning(log, warning);
        }

        return directory;
    }
}
