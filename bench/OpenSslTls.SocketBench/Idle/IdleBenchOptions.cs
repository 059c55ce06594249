using System.Globalization;

namespace OpenSslTls.SocketBench.Idle;

/// <summary>The command line of the idle-connection mode (see <see cref="Usage"/>).</summary>
internal sealed record IdleBenchOptions
{
    public const string Argument = "--idle";

    public const string Usage =
        "usage: OpenSslTls.SocketBench --idle N [--per-address P] [--concurrency C] [--settle S] [--servers both|serve|sslstream]\n" +
        "  --idle N          idle TLS 1.3 connections to hold open against each server (1 to 1000000)\n" +
        "  --per-address P   connections per client source address 127.0.x.y (default 200, under serve's default\n" +
        "                    --max-connections-per-address 256)\n" +
        "  --concurrency C   connections being set up at once (default 32)\n" +
        "  --settle S        seconds to wait after the last connection before measuring (default 3)\n" +
        "  --servers WHICH   both (default), serve or sslstream; the SslStream server stops at 16384 connections";

    public int Connections { get; init; }

    public int PerAddress { get; init; } = 200;

    public int Concurrency { get; init; } = 32;

    public double SettleSeconds { get; init; } = 3;

    public bool Serve { get; init; } = true;

    public bool SslStream { get; init; } = true;

    /// <summary>Parses the arguments (the first is <see cref="Argument"/>); throws <see cref="FormatException"/> naming the bad one.</summary>
    public static IdleBenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new IdleBenchOptions();
        bool counted = false;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new FormatException($"'{name}' needs a value or is unknown");
            }

            string value = args[++i];
            options = name switch
            {
                Argument => options with { Connections = Whole(name, value, 1, 1_000_000) },
                "--per-address" => options with { PerAddress = Whole(name, value, 1, 20_000) },
                "--concurrency" => options with { Concurrency = Whole(name, value, 1, 4096) },
                "--settle" => options with { SettleSeconds = double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) && s <= 600 ? s : throw new FormatException($"--settle '{value}': seconds from 0 to 600") },
                "--servers" => value switch
                {
                    "both" => options with { Serve = true, SslStream = true },
                    "serve" => options with { Serve = true, SslStream = false },
                    "sslstream" => options with { Serve = false, SslStream = true },
                    _ => throw new FormatException($"--servers '{value}': use both, serve or sslstream"),
                },
                _ => throw new FormatException($"unknown argument '{name}'"),
            };
            counted |= name == Argument;
        }

        return counted ? options : throw new FormatException($"{Argument} N is missing");
    }

    private static int Whole(string name, string value, int minimum, int maximum) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number >= minimum && number <= maximum
            ? number
            : throw new FormatException($"{name} '{value}': expected a whole number from {minimum} to {maximum}");
}
