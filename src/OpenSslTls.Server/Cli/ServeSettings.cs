using System.Net;
using Microsoft.Extensions.Logging;
using OpenSslTls.SipEndpoint.Hosting;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>The <c>serve</c> command line, checked.</summary>
internal sealed record ServeSettings
{
    /// <summary>What options that wait for the configuration work print.</summary>
    public const string ConfigurationPending = "not available yet: configuration reader pending";

    private static readonly string[] s_valueOptions =
        ["--listen", "--certificate", "--private-key", "--ca-list", "--data-dir", "--log-level", "--modparams", "--appsettings", "--tls-cfg"];

    private static readonly string[] s_flags = ["--send-close-notify"];

    private static readonly string[] s_pendingOptions = ["--modparams", "--appsettings", "--tls-cfg"];

    private static readonly Dictionary<string, IReadOnlyCollection<string>> s_optionalValues = new(StringComparer.Ordinal)
    {
        ["--verify-client"] = ["on", "off", "optional", "optional_no_ca"],
    };

    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [new IPEndPoint(IPAddress.Loopback, SipTlsServerOptions.DefaultPort)];

    public string? Certificate { get; init; }

    public string? PrivateKey { get; init; }

    public string? CaList { get; init; }

    public VerifyClientMode VerifyClient { get; init; } = VerifyClientMode.Off;

    public bool SendCloseNotify { get; init; }

    /// <summary>The data directory given with <c>--data-dir</c>, or null for the default.</summary>
    public string? DataDirectory { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Parses and checks the arguments after <c>serve</c>; throws <see cref="CommandLineException"/> with the reason.</summary>
    public static ServeSettings Parse(IReadOnlyList<string> args)
    {
        var parsed = CommandLineArguments.Parse(args, s_valueOptions, s_flags, s_optionalValues);
        foreach (string pending in s_pendingOptions)
        {
            if (parsed.Has(pending))
            {
                throw new CommandLineException($"{pending} is {ConfigurationPending}");
            }
        }

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
        if (verify is VerifyClientMode.On or VerifyClientMode.Optional && caList is null)
        {
            throw new CommandLineException("--verify-client needs --ca-list: the CAs client certificates must chain to");
        }

        IReadOnlyList<string> listen = parsed.All("--listen");
        return new ServeSettings
        {
            Listen = listen.Count == 0 ? new ServeSettings().Listen : [.. listen.Select(NetworkAddressParser.ParseListen)],
            Certificate = certificate,
            PrivateKey = privateKey,
            CaList = caList,
            VerifyClient = verify,
            SendCloseNotify = parsed.Has("--send-close-notify"),
            DataDirectory = parsed.Single("--data-dir"),
            LogLevel = ConsoleLogging.ParseLevel(parsed.Single("--log-level")),
        };
    }
}
