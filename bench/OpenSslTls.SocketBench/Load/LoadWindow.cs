namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// The phases every worker of one run shares: warm-up (work done, nothing recorded), measuring (each operation that
/// completes is recorded), stopped (workers finish their current operation and return). Completions are counted, not
/// starts, so the operations in flight at either edge neither inflate nor deflate the rate.
/// </summary>
internal sealed class LoadWindow
{
    private const int WarmingUp = 0;
    private const int MeasuringPhase = 1;
    private const int StoppedPhase = 2;

    private int _phase = WarmingUp;

    public bool Measuring => Volatile.Read(ref _phase) == MeasuringPhase;

    public bool Stopped => Volatile.Read(ref _phase) == StoppedPhase;

    public void Begin() => Volatile.Write(ref _phase, MeasuringPhase);

    public void End() => Volatile.Write(ref _phase, StoppedPhase);
}
