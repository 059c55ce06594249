using System.Net;
using Microsoft.Extensions.Logging;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Profiles;
using OpenSslTls.Configuration;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>The <c>serve</c> command line, checked.</summary>
internal sealed record ServeSettings
{
    private static readonly string[] s_valueOptions =
        ["--listen", "--certificate", "--private-key", "--ca-list", "--groups", "--data-dir", "--log-level", "--modparams", "--appsettings", "--tls-cfg", "--control-socket", "--sweep-interval", "--max-connections", "--max-connections-per-address", "--max-client-hello-bytes", "--descriptor-reserve", "--max-handshakes-in-progress", "--cluster", "--cluster-key-file", "--cluster-rotation", "--cluster-lookup-timeout", "--listen-wss"];

    private static readonly string[] s_flags = ["--send-close-notify", "--status-page", "--status-page-remote"];

    private static readonly Dictionary<string, IReadOnlyCollection<string>> s_optionalValues = new(StringComparer.Ordinal)
    {
        ["--verify-client"] = ["on", "off", "optional", "optional_no_ca"],
    };

    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [new IPEndPoint(IPAddress.Loopback, SipTlsServerOptions.DefaultPort)];

    public string? Certificate { get; init; }

    public string? PrivateKey { get; init; }

    public string? CaList { get; init; }

    public VerifyClientMode VerifyClient { get; init; } = VerifyClientMode.Off;

    /// <summary>The key exchange groups (--groups LIST, the modparam <c>groups</c>), or null for the configuration's.</summary>
    public string? Groups { get; init; }

    public bool SendCloseNotify { get; init; }

    /// <summary>The data directory given with <c>--data-dir</c>, or null for the default.</summary>
    public string? DataDirectory { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Whether --verify-client was given (so it overrides the configuration files).</summary>
    public bool VerifyClientGiven { get; init; }

    /// <summary>The configuration files (--modparams, --appsettings, --tls-cfg).</summary>
    public TlsOptionsSources Sources { get; init; } = new();

    /// <summary>The control socket path (--control-socket), or null for the data directory's.</summary>
    public string? ControlSocket { get; init; }

    /// <summary>How often idle connections are swept (--sweep-interval SECONDS; default 5 s).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections open at once (--max-connections N; Kamailio's <c>tcp_max_connections</c> role).</summary>
    public int MaxConnections { get; init; } = new SipTlsServerOptions().MaxConnections;

    /// <summary>Connections one IP address may hold (--max-connections-per-address N; 0: no limit).</summary>
    public int MaxConnectionsPerAddress { get; init; } = SipTlsServerOptions.DefaultMaxConnectionsPerAddress;

    /// <summary>The longest ClientHello accepted (--max-client-hello-bytes N), or null for the configuration's.</summary>
    public int? MaxClientHelloBytes { get; init; }

    /// <summary>Descriptors kept free below the open-file limit, capping connections (--descriptor-reserve N; 0: no such cap).</summary>
    public int DescriptorReserve { get; init; } = DescriptorBudget.DefaultReserve;

    /// <summary>Handshakes in progress at once before accepting waits (--max-handshakes-in-progress N; 0: no bound).</summary>
    public int MaxHandshakesInProgress { get; init; } = SipTlsServerOptions.DefaultMaxHandshakesInProgress;

    /// <summary>The Redis server whose ticket keys this node shares (--cluster redis://HOST:PORT), or null.</summary>
    public string? Cluster { get; init; }

    /// <summary>The cluster's key-encryption key file (--cluster-key-file FILE), given with --cluster.</summary>
    public string? ClusterKeyFile { get; init; }

    /// <summary>Where to listen for SIP over secure WebSocket (--listen-wss ADDR:PORT, repeatable); none: no WebSocket listener.</summary>
    public IReadOnlyList<IPEndPoint> ListenWss { get; init; } = [];

    /// <summary>Whether the WebSocket listener serves the status page (--status-page).</summary>
    public bool StatusPage { get; init; }

    /// <summary>Whether the status page is shown to peers other than loopback ones (--status-page-remote).</summary>
    public bool StatusPageRemote { get; init; }

    /// <summary>How old the cluster's newest ticket key gets before a node makes the next (--cluster-rotation SECONDS), or null for 12 h.</summary>
    public TimeSpan? ClusterRotation { get; init; }

    /// <summary>The longest a handshake waits for Redis on a session-id lookup (--cluster-lookup-timeout MS), or null for 100 ms.</summary>
    public TimeSpan? ClusterLookupTimeout { get; init; }

    /// <summary>Parses and checks the arguments after <c>serve</c>; throws <see cref="CommandLineException"/> with the reason.</summary>
    public static ServeSettings Parse(IReadOnlyList<string> args)
    {
        var parsed = CommandLineArguments.Parse(args, s_valueOptions, s_flags, s_optionalValues);
        if (parsed.Positionals.Count > 0)
        {
            throw new CommandLineException($"unexpected argument '{parsed.Positionals[0]}'");
        }

        string? certificate = parsed.Single("--certificate");
        string? privateKey = parsed.Single("--private-key");
        if ((certificate is null) != (privateKey is null))
        {
            throw new CommandLineException("--certificate and --private-key go together");
        }

        VerifyClientMode verify = parsed.Single("--verify-client") switch
        {
            null => VerifyClientMode.Off,
            "" or "on" => VerifyClientMode.On,
            "off" => VerifyClientMode.Off,
            "optional" => VerifyClientMode.Optional,
            "optional_no_ca" => VerifyClientMode.OptionalNoCa,
            string other => throw new CommandLineException($"--verify-client '{other}': use on, off, optional or optional_no_ca"),
        };
        string? caList = parsed.Single("--ca-list");
        bool anyFile = TlsOptionsSources.OptionNames.Any(parsed.Has);
        if (verify is VerifyClientMode.On or VerifyClientMode.Optional && caList is null && !anyFile)
        {
            throw new CommandLineException("--verify-client needs --ca-list: the CAs client certificates must chain to");
        }

        string? cluster = parsed.Single("--cluster") is { } url ? ClusterAddress(url) : null;
        string? clusterKeyFile = parsed.Single("--cluster-key-file");
        if ((cluster is null) != (clusterKeyFile is null))
        {
            throw new CommandLineException("--cluster and --cluster-key-file go together: the key file holds the key-encryption key every node of the cluster shares");
        }

        int? rotation = WholeNumber(parsed.Single("--cluster-rotation"), "--cluster-rotation", 1, 30 * 24 * 3600);
        int? lookup = WholeNumber(parsed.Single("--cluster-lookup-timeout"), "--cluster-lookup-timeout", 1, 5000);
        if (cluster is null && !anyFile && (rotation is not null || lookup is not null))
        {
            // With a configuration file, its cluster_address may be what these override (checked once it is read).
            throw new CommandLineException("--cluster-rotation and --cluster-lookup-timeout need --cluster");
        }

        IReadOnlyList<string> listen = parsed.All("--listen");
        IReadOnlyList<IPEndPoint> listenWss = [.. parsed.All("--listen-wss").Select(NetworkAddressParser.ParseListen)];
        if (parsed.Has("--status-page") && listenWss.Count == 0)
        {
            throw new CommandLineException("--status-page needs --listen-wss: the page is served on the secure WebSocket listener");
        }

        if (parsed.Has("--status-page-remote") && !parsed.Has("--status-page"))
        {
            throw new CommandLineException("--status-page-remote goes with --status-page");
        }

        if (parsed.Has("--status-page") && !parsed.Has("--status-page-remote") && !listenWss.Any(endpoint => IPAddress.IsLoopback(endpoint.Address) || endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)))
        {
            throw new CommandLineException("--status-page is for loopback peers only, and no --listen-wss address takes loopback connections; add --status-page-remote to show it to others");
        }

        return new ServeSettings
        {
            Listen = listen.Count == 0 ? new ServeSettings().Listen : [.. listen.Select(NetworkAddressParser.ParseListen)],
            Certificate = certificate,
            PrivateKey = privateKey,
            CaList = caList,
            Groups = GroupList(parsed.Single("--groups"), "--groups"),
            VerifyClient = verify,
            SendCloseNotify = parsed.Has("--send-close-notify"),
            DataDirectory = parsed.Single("--data-dir"),
            LogLevel = ConsoleLogging.ParseLevel(parsed.Single("--log-level")),
            VerifyClientGiven = parsed.Has("--verify-client"),
            Sources = TlsOptionsSources.From(parsed),
            ControlSocket = parsed.Single("--control-socket"),
            SweepInterval = parsed.Single("--sweep-interval") is { } sweep
                ? TimeSpan.FromSeconds(int.TryParse(sweep, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds) && seconds is >= 1 and <= 3600
                    ? seconds
                    : throw new CommandLineException($"--sweep-interval '{sweep}': expected a whole number from 1 to 3600"))
                : TimeSpan.FromSeconds(5),
            MaxConnections = WholeNumber(parsed.Single("--max-connections"), "--max-connections", 1, 10_000_000) ?? new SipTlsServerOptions().MaxConnections,
            MaxConnectionsPerAddress = WholeNumber(parsed.Single("--max-connections-per-address"), "--max-connections-per-address", 0, 1_000_000)
                ?? SipTlsServerOptions.DefaultMaxConnectionsPerAddress,
            MaxClientHelloBytes = WholeNumber(parsed.Single("--max-client-hello-bytes"), "--max-client-hello-bytes", 512, 0xFFFFFF),
            DescriptorReserve = WholeNumber(parsed.Single("--descriptor-reserve"), "--descriptor-reserve", 0, 1_000_000) ?? DescriptorBudget.DefaultReserve,
            MaxHandshakesInProgress = WholeNumber(parsed.Single("--max-handshakes-in-progress"), "--max-handshakes-in-progress", 0, 10_000_000)
                ?? SipTlsServerOptions.DefaultMaxHandshakesInProgress,
            Cluster = cluster,
            ClusterKeyFile = clusterKeyFile,
            ListenWss = listenWss,
            StatusPage = parsed.Has("--status-page"),
            StatusPageRemote = parsed.Has("--status-page-remote"),
            ClusterRotation = rotation is { } r ? TimeSpan.FromSeconds(r) : null,
            ClusterLookupTimeout = lookup is { } l ? TimeSpan.FromMilliseconds(l) : null,
        };
    }

    /// <summary>A --cluster value: <c>redis://HOST:PORT</c> (or <c>HOST:PORT</c>) as StackExchange.Redis configuration.</summary>
    internal static string ClusterAddress(string text) =>
        TlsClusterAddress.Parse(text) ?? throw new CommandLineException($"--cluster '{text}': expected {TlsClusterAddress.Expected}");

    /// <summary>A --groups value: which names exist is the loaded OpenSSL's to say (at profile build), not the parser's.</summary>
    internal static string? GroupList(string? text, string option) => text is null || text.Trim().Length > 0
        ? text?.Trim()
        : throw new CommandLineException($"{option} '': expected key exchange group names separated by ':' (e.g. X25519:P-256)");

    private static int? WholeNumber(string? text, string option, int min, int max) => text is null
        ? null
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new CommandLineException($"{option} '{text}': expected a whole number from {min} to {max}");
}
