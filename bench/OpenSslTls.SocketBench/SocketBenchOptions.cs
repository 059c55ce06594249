using System.Globalization;

namespace OpenSslTls.SocketBench;

/// <summary>The command line of the benchmark run (see <see cref="Usage"/>).</summary>
internal sealed record SocketBenchOptions
{
    public const string Usage =
        "usage: OpenSslTls.SocketBench [--seconds S] [--warmup S] [--slice-ms MS] [--connections C] [--workers K] [--only ID-PART]...\n" +
        "       OpenSslTls.SocketBench --setup [--storm N] [--rounds R] [--seconds S] [--warmup S] [--only ID-PART]...\n" +
        "  --seconds S      measured load per server and figure (default 5; fractions allowed)\n" +
        "  --warmup S       unmeasured load per server before the first slice (default 2)\n" +
        "  --slice-ms MS    the measured load comes in slices of this length, the servers taking turns A B B A ... (default 500)\n" +
        "  --connections C  persistent connections of the OPTIONS workload (default 50)\n" +
        "  --workers K      concurrent connect-handshake-OPTIONS-close loops of the connection workload (default 8)\n" +
        "  --only ID-PART   run only ids containing it: options-tls13, connections-tls13, options-tls12, connections-tls12 (repeatable)\n" +
        "  --setup          the connection set-up suite instead: openssl s_time against serve, SslStream and openssl s_server;\n" +
        "                   ids setup-new-tls13, setup-new-tls12-ecdsa, setup-new-tls12-rsa, setup-resumed-tls12-id,\n" +
        "                   setup-resumed-tls12-ticket, setup-resumed-tls13 (--seconds: s_time time per server and round, whole seconds)\n" +
        "  --storm N        (with or without --setup) N TLS 1.3 connections at once against serve and SslStream, id storm-tls13\n" +
        "  --rounds R       rounds of the set-up suite and storms per server (default 3)\n" +
        "  --server-cpus LIST  start every server under taskset -c LIST (run the bench itself under taskset on other CPUs, so\n" +
        "                   the storm's client and the server do not share cores)\n" +
        "  --baseline-serve DLL  also run this build of OpenSslTls.Server.dll as a fourth server (before/after figures)\n" +
        "  --csv PATH       the figures as CSV (scenario,implementation,metric,value,unit; default artifacts/bench/sockets.csv)\n" +
        "  --charts DIR     the charts drawn from that CSV (default artifacts/bench/charts; docs/charts for the documentation)";

    public double Seconds { get; init; } = 5;

    public double Warmup { get; init; } = 2;

    public int SliceMilliseconds { get; init; } = 500;

    public int Connections { get; init; } = 50;

    public int Workers { get; init; } = 8;

    public IReadOnlyList<string> Only { get; init; } = [];

    /// <summary>The connection set-up suite (s_time rows) instead of the OPTIONS suite.</summary>
    public bool Setup { get; init; }

    /// <summary>Connections of the reconnect storm; 0: no storm.</summary>
    public int Storm { get; init; }

    /// <summary>Rounds of the set-up suite and of the storm.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Another build of OpenSslTls.Server.dll to run beside serve in the set-up suite and the storm, or null.</summary>
    public string? BaselineServe { get; init; }

    /// <summary>The <c>taskset -c</c> CPU list the servers run on, or null.</summary>
    public string? ServerCpus { get; init; }

    /// <summary>Where the figures go as CSV.</summary>
    public string CsvPath { get; init; } = Path.Combine("artifacts", "bench", "sockets.csv");

    /// <summary>Where the charts drawn from the CSV go.</summary>
    public string ChartDirectory { get; init; } = Path.Combine("artifacts", "bench", "charts");

    /// <summary>Whether the figure with id <paramref name="id"/> is to run.</summary>
    public bool Selects(string id) => Only.Count == 0 || Only.Any(part => id.Contains(part, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses the arguments; throws <see cref="FormatException"/> naming the bad one.</summary>
    public static SocketBenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new SocketBenchOptions();
        var only = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name == "--setup")
            {
                options = options with { Setup = true };
                continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new FormatException($"'{name}' needs a value or is unknown");
            }

            string value = args[++i];
            options = name switch
            {
                "--seconds" => options with { Seconds = Positive(name, value, 0.1, 3600) },
                "--warmup" => options with { Warmup = Positive(name, value, 0, 600) },
                "--slice-ms" => options with { SliceMilliseconds = (int)Positive(name, value, 50, 60000, whole: true) },
                "--connections" => options with { Connections = (int)Positive(name, value, 1, 10000, whole: true) },
                "--workers" => options with { Workers = (int)Positive(name, value, 1, 1000, whole: true) },
                "--storm" => options with { Storm = (int)Positive(name, value, 1, 100000, whole: true) },
                "--rounds" => options with { Rounds = (int)Positive(name, value, 1, 100, whole: true) },
                "--baseline-serve" => File.Exists(value) ? options with { BaselineServe = Path.GetFullPath(value) } : throw new FormatException($"{name} '{value}': no such file"),
                "--only" => options,
                "--server-cpus" => value.Length > 0 && value.All(c => char.IsAsciiDigit(c) || c is ',' or '-')
                    ? options with { ServerCpus = value }
                    : throw new FormatException($"{name} '{value}': expected a CPU list such as 0 or 0,2-3"),
                "--csv" => options with { CsvPath = value },
                "--charts" => options with { ChartDirectory = value },
                _ => throw new FormatException($"unknown argument '{name}'"),
            };
            if (name == "--only")
            {
                only.Add(value);
            }
        }

        return options with { Only = only };
    }

    private static double Positive(string name, string value, double minimum, double maximum, bool whole = false)
    {
        NumberStyles style = whole ? NumberStyles.None : NumberStyles.AllowDecimalPoint;
        if (!double.TryParse(value, style, CultureInfo.InvariantCulture, out double number) || number < minimum || number > maximum)
        {
            throw new FormatException($"{name} '{value}': expected a {(whole ? "whole " : string.Empty)}number from {minimum} to {maximum}");
        }

        return number;
    }
}
