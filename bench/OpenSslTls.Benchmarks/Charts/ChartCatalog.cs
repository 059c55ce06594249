namespace OpenSslTls.Benchmarks.Charts;

/// <summary>
/// The metrics the benches chart (the headline comparisons of docs/benchmarks.md), whichever bench wrote them: a CSV is
/// drawn with every spec whose metric it holds. Other metrics stay in the CSV only. The metric names are the contract
/// between the benches and the charts: a bench that writes one of them (say a new socket-bench column, or a new memory
/// probe) appears in that chart with no change here.
/// </summary>
internal static class ChartCatalog
{
    /// <summary>In-memory suites: records, plaintext MB per CPU second.</summary>
    public const string RecordRate = "record-rate";

    /// <summary>In-memory suites: full and resumed handshakes per CPU second.</summary>
    public const string HandshakeRate = "handshake-rate";

    /// <summary>Quick suite: each implementation ÷ the first C column, median of the round-by-round ratios.</summary>
    public const string RatioToC = "ratio-to-c";

    /// <summary>Resident set growth per idle established server connection, bytes.</summary>
    public const string IdleResident = "idle-rss";

    /// <summary>malloc bytes in use plus live managed bytes per idle established server connection.</summary>
    public const string IdleHeap = "idle-heap";

    /// <summary>Socket bench: server CPU milliseconds per new connection (handshake, one OPTIONS, close).</summary>
    public const string ServerCpuPerConnection = "server-cpu-per-connection";

    /// <summary>Socket bench: server CPU microseconds per OPTIONS transaction on persistent connections.</summary>
    public const string ServerCpuPerTransaction = "server-cpu-per-transaction";

    public static IReadOnlyList<ChartSpec> All { get; } =
    [
        new(RecordRate, "records", "Records: one message encrypted and decrypted, plaintext MB per CPU second", HigherIsBetter: true),
        new(HandshakeRate, "handshakes", "Handshakes per CPU second (client and server in one thread)", HigherIsBetter: true),
        new(RatioToC, "ratio-to-c", "Against C: rate ÷ the C harness's rate in the same run (1 = C's speed)", HigherIsBetter: true, ReferenceLine: 1),
        new(IdleResident, "memory-rss", "Memory per idle server connection: resident set growth", HigherIsBetter: false, Divisor: 1024, DisplayUnit: "KiB per connection"),
        new(IdleHeap, "memory-heap", "Memory per idle server connection: malloc in use + live managed heap", HigherIsBetter: false, Divisor: 1024, DisplayUnit: "KiB per connection"),
        new(ServerCpuPerConnection, "server-cpu-per-connection", "Server CPU per new connection over loopback (handshake, one OPTIONS, close)", HigherIsBetter: false),
        new(ServerCpuPerTransaction, "server-cpu-per-transaction", "Server CPU per OPTIONS transaction over loopback (persistent connections)", HigherIsBetter: false),
    ];
}
