using System.Diagnostics;
using OpenSslTls.SocketBench.Load;

namespace OpenSslTls.SocketBench.Report;

/// <summary>
/// One (workload, version, server) cell of the table and the figures derived from it. Runs added to it sum:
/// operations, failures, seconds and CPU seconds add up, latencies are pooled, so rates are total operations over
/// total time (the runner already sums a server's slices this way).
/// </summary>
internal sealed class Accumulator
{
    private readonly List<long> _latencies = [];
    private long[]? _sorted;

    public long Operations { get; private set; }

    public long Failures { get; private set; }

    public string? FirstFailure { get; private set; }

    public double WindowSeconds { get; private set; }

    public double ServerCpuSeconds { get; private set; }

    public double ClientCpuSeconds { get; private set; }

    public long Connections { get; private set; }

    public long BytesReceived { get; private set; }

    public long BytesSent { get; private set; }

    public int Runs { get; private set; }

    /// <summary>Operations completed per wall second of the windows.</summary>
    public double Rate => WindowSeconds > 0 ? Operations / WindowSeconds : 0;

    /// <summary>Server CPU seconds per 1000 operations.</summary>
    public double ServerCpuPerThousand => Operations > 0 ? ServerCpuSeconds / Operations * 1000 : 0;

    /// <summary>Load-generator CPU seconds per 1000 operations.</summary>
    public double ClientCpuPerThousand => Operations > 0 ? ClientCpuSeconds / Operations * 1000 : 0;

    /// <summary>The server's average CPU use over the windows, in cores.</summary>
    public double ServerCores => WindowSeconds > 0 ? ServerCpuSeconds / WindowSeconds : 0;

    /// <summary>Ciphertext bytes the server sent per completed connection (handshake and the 200), or 0 outside the connection workload.</summary>
    public double BytesReceivedPerConnection => Connections > 0 ? (double)BytesReceived / Connections : 0;

    /// <summary>Ciphertext bytes the load generator sent per completed connection.</summary>
    public double BytesSentPerConnection => Connections > 0 ? (double)BytesSent / Connections : 0;

    public void Add(RunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Runs++;
        Operations += run.Operations;
        Failures += run.Failures;
        FirstFailure ??= run.FirstFailure;
        WindowSeconds += run.WindowSeconds;
        ServerCpuSeconds += run.ServerCpuSeconds;
        ClientCpuSeconds += run.ClientCpuSeconds;
        Connections += run.Connections;
        BytesReceived += run.BytesReceived;
        BytesSent += run.BytesSent;
        _latencies.AddRange(run.Latencies);
        _sorted = null;
    }

    /// <summary>The nearest-rank percentile <paramref name="percent"/> of the latencies, in milliseconds (0 with none).</summary>
    public double LatencyMilliseconds(double percent)
    {
        if (_latencies.Count == 0)
        {
            return 0;
        }

        if (_sorted is null)
        {
            _sorted = [.. _latencies];
            Array.Sort(_sorted);
        }

        int rank = (int)Math.Ceiling(percent / 100 * _sorted.Length);
        return _sorted[Math.Clamp(rank - 1, 0, _sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
