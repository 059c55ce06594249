using System.Globalization;
using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint.Hosting;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>The <c>send</c> command line, checked.</summary>
internal sealed record SendSettings
{
    private static readonly string[] s_valueOptions =
        ["--server-name", "--count", "--certificate", "--private-key", "--ca-list", "--groups", "--timeout", "--server-id", "--modparams", "--appsettings", "--tls-cfg"];

    private static readonly string[] s_flags = ["--verify"];

    public required string Host { get; init; }

    public required int Port { get; init; }

    public string? ServerName { get; init; }

    public int Count { get; init; } = 1;

    public string? Certificate { get; init; }

    public string? PrivateKey { get; init; }

    public string? CaList { get; init; }

    public bool Verify { get; init; }

    /// <summary>The key exchange groups offered (--groups LIST, the modparam <c>groups</c>), or null for the configuration's.</summary>
    public string? Groups { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The server_id choosing a <c>[client:…]</c> profile (--server-id).</summary>
    public string? ServerId { get; init; }

    /// <summary>
    /// The per-connection override Kamailio takes from the <c>xavp_cfg</c> attributes: --server-name (else HOST when it
    /// is a valid host name; an IP address is not a valid SNI, RFC 6066 §3) and --server-id.
    /// </summary>
    public TlsClientOverride Override => new()
    {
        ServerName = ServerName ?? (TlsClientOverride.ServerNameProblem(Host) is null ? Host : null),
        ServerId = ServerId,
    };

    /// <summary>The configuration files (--modparams, --appsettings, --tls-cfg).</summary>
    public TlsOptionsSources Sources { get; init; } = new();

    /// <summary>Parses and checks the arguments after <c>send</c>; throws <see cref="CommandLineException"/> with the reason.</summary>
    public static SendSettings Parse(IReadOnlyList<string> args)
    {
        var parsed = CommandLineArguments.Parse(args, s_valueOptions, s_flags);
        if (parsed.Positionals.Count != 1)
        {
            throw new CommandLineException(parsed.Positionals.Count == 0 ? "which server? send HOST[:PORT]" : $"unexpected argument '{parsed.Positionals[1]}'");
        }

        (string host, int port) = NetworkAddressParser.ParseTarget(parsed.Positionals[0], SipTlsServerOptions.DefaultPort);
        if (port == 0)
        {
            throw new CommandLineException($"'{parsed.Positionals[0]}': port 0 cannot be connected to");
        }

        string? certificate = parsed.Single("--certificate");
        string? privateKey = parsed.Single("--private-key");
        if ((certificate is null) != (privateKey is null))
        {
            throw new CommandLineException("--certificate and --private-key go together");
        }

        string? caList = parsed.Single("--ca-list");
        bool verify = parsed.Has("--verify");
        if (verify && caList is null)
        {
            throw new CommandLineException("--verify needs --ca-list: the CAs the server's certificate must chain to");
        }

        string? serverName = parsed.Single("--server-name");
        if (serverName is not null && TlsClientOverride.ServerNameProblem(serverName) is { } nameProblem)
        {
            throw new CommandLineException($"--server-name '{serverName}': {nameProblem}");
        }

        string? serverId = parsed.Single("--server-id");
        if (serverId is not null && (serverId.Length == 0 || serverId.Any(char.IsControl)))
        {
            throw new CommandLineException($"--server-id '{serverId.ReplaceLineEndings(" ")}': expected the server_id of a [client:...] profile (not empty, no control characters)");
        }

        return new SendSettings
        {
            Host = host,
            Port = port,
            ServerName = serverName,
            Count = PositiveInteger(parsed.Single("--count"), "--count", 1, 1_000_000),
            Certificate = certificate,
            PrivateKey = privateKey,
            CaList = caList,
            Verify = verify,
            Groups = ServeSettings.GroupList(parsed.Single("--groups"), "--groups"),
            Timeout = TimeSpan.FromSeconds(PositiveInteger(parsed.Single("--timeout"), "--timeout", 10, 3600)),
            ServerId = serverId,
            Sources = TlsOptionsSources.From(parsed),
        };
    }

    private static int PositiveInteger(string? text, string option, int fallback, int max)
    {
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1 && value <= max
            ? value
            : throw new CommandLineException($"{option} '{text}': expected a whole number from 1 to {max}");
    }
}
