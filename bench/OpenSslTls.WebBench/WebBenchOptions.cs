using System.Globalization;

namespace OpenSslTls.WebBench;

/// <summary>The runner's options (<see cref="Usage"/>).</summary>
internal sealed record WebBenchOptions
{
    public const string Usage = """
        usage: OpenSslTls.WebBench [--rounds N] [--requests N] [--connections N] [--idle N] [--stime-seconds N] [--tiny] [--no-pin]
          --rounds N          interleaved rounds, each measuring both servers in alternating order (default 3)
          --requests N        requests per kept-alive run, HTTP/1.1 and HTTP/2 each (default 20000)
          --connections N     new TLS connections per full-handshake run, in h2load runs of 100 (default 1000)
          --idle N            idle TLS connections held open for the memory figure (default 2000)
          --stime-seconds N   seconds of each openssl s_time run, new and resumed (default 5)
          --tiny              a smoke run: 1 round, 200 requests, 20 connections, 20 idle, 1 s
          --no-pin            do not pin the servers to CPU 0 and the load tools to CPU 1 (taskset)
        """;

    public int Rounds { get; init; } = 3;

    public long Requests { get; init; } = 20_000;

    public int Connections { get; init; } = 1000;

    public int Idle { get; init; } = 2000;

    public int STimeSeconds { get; init; } = 5;

    public bool Pin { get; init; } = true;

    public static WebBenchOptions Parse(string[] args)
    {
        var options = new WebBenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            int Positive() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
                ? value
                : throw new FormatException($"{args[i - 1]} takes a positive integer, not '{args[i]}'");
            options = args[i] switch
            {
                "--rounds" => options with { Rounds = Positive() },
                "--requests" => options with { Requests = Positive() },
                "--connections" => options with { Connections = Positive() },
                "--idle" => options with { Idle = Positive() },
                "--stime-seconds" => options with { STimeSeconds = Positive() },
                "--tiny" => options with { Rounds = 1, Requests = 200, Connections = 20, Idle = 20, STimeSeconds = 1 },
                "--no-pin" => options with { Pin = false },
                _ => throw new FormatException($"unknown argument '{args[i]}'"),
            };
        }

        return options;
    }
}
