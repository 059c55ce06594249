using OpenSslTls.Benchmarks.Measurement;
using Perfolizer.Horology;

namespace OpenSslTls.Benchmarks.Benchmarks;

/// <summary>
/// BenchmarkDotNet's clock for this suite: the process's CPU time in nanoseconds, the clock the C harness and the
/// quick mode use, so all three are timed alike and a benchmark descheduled by other work on the shared machine is
/// not charged for the time it did not run.
/// </summary>
internal sealed class ProcessCpuClock : IClock
{
    public static ProcessCpuClock Instance { get; } = new();

    public string Title => "process CPU time";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => Frequency.GHz;

    public long GetTimestamp() => CpuClock.Nanoseconds();
}
