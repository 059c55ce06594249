namespace OpenSslTls.SocketBench.Setup;

/// <summary>One (row, server) cell of the set-up table: the rounds of s_time (or of storms) summed, and each round's CPU per connection kept for the per-round ratios.</summary>
internal sealed class SetupCell
{
    private readonly List<long> _latencies = [];

    public long Connections { get; private set; }

    public long Resumed { get; private set; }

    public long Marked { get; private set; }

    public double WallSeconds { get; private set; }

    public double ServerCpuSeconds { get; private set; }

    /// <summary>Storms: the client's (this process's) CPU seconds over its storms.</summary>
    public double ClientCpuSeconds { get; private set; }

    public long Failures { get; private set; }

    public long Timeouts { get; private set; }

    public string? FirstFailure { get; private set; }

    /// <summary>Server CPU microseconds per connection in each round, in round order.</summary>
    public List<double> RoundCpuMicroseconds { get; } = [];

    /// <summary>Per storm: seconds from the first connect until the last handshake.</summary>
    public List<double> StormSeconds { get; } = [];

    public double Rate => WallSeconds > 0 ? Connections / WallSeconds : 0;

    public double CpuMicrosecondsPerConnection => Connections > 0 ? ServerCpuSeconds / Connections * 1e6 : 0;

    /// <summary>Storms: the client's CPU per connection attempted (failed ones cost it a handshake too).</summary>
    public double ClientCpuMicrosecondsPerAttempt => Attempted > 0 ? ClientCpuSeconds / Attempted * 1e6 : 0;

    /// <summary>Storms: connections attempted.</summary>
    public long Attempted { get; private set; }

    public double ResumedShare => Marked > 0 ? (double)Resumed / Marked : 0;

    public void Add(long connections, long resumed, long marked, double wallSeconds, double cpuSeconds)
    {
        Connections += connections;
        Resumed += resumed;
        Marked += marked;
        WallSeconds += wallSeconds;
        ServerCpuSeconds += cpuSeconds;
        RoundCpuMicroseconds.Add(connections > 0 ? cpuSeconds / connections * 1e6 : double.NaN);
    }

    public void Add(StormResult storm)
    {
        ArgumentNullException.ThrowIfNull(storm);
        Add(storm.Established, 0, 0, storm.AllSeconds, storm.ServerCpuSeconds);
        StormSeconds.Add(storm.AllSeconds);
        ClientCpuSeconds += storm.ClientCpuSeconds;
        Attempted += storm.Attempted;
        Failures += storm.Failures;
        Timeouts += storm.Timeouts;
        FirstFailure ??= storm.FirstFailure;
        _latencies.AddRange(storm.Latencies);
    }

    public void Fail(string failure)
    {
        Failures++;
        FirstFailure ??= failure;
    }

    /// <summary>Nearest-rank percentile of the storm handshake latencies, milliseconds.</summary>
    public double LatencyMilliseconds(double percent)
    {
        if (_latencies.Count == 0)
        {
            return 0;
        }

        long[] sorted = [.. _latencies];
        Array.Sort(sorted);
        int rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)] * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
    }
}
