namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// One measuring window against one server: operations completed in it, their latencies (Stopwatch ticks), failures,
/// the window's wall time, the CPU seconds the server child and this process (the load generator) used in it, and for
/// the connection workload the wire bytes of the connections completed in it.
/// </summary>
internal sealed record RunResult(
    long Operations,
    long Failures,
    string? FirstFailure,
    double WindowSeconds,
    double ServerCpuSeconds,
    double ClientCpuSeconds,
    long[] Latencies,
    long Connections,
    long BytesReceived,
    long BytesSent);
