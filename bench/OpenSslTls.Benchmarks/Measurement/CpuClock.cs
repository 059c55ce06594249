using System.Runtime.InteropServices;

namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>
/// The process's CPU time (all threads: the benchmark thread, the GC, the finalizer, the JIT), from
/// <c>clock_gettime(CLOCK_PROCESS_CPUTIME_ID)</c>, the clock the C harness samples too.
/// </summary>
internal static partial class CpuClock
{
    private const int ClockProcessCpuTimeId = 2;

    public static double Seconds() => Nanoseconds() / 1e9;

    public static long Nanoseconds()
    {
        TimeSpec time;
        if (clock_gettime(ClockProcessCpuTimeId, out time) != 0)
        {
            throw new InvalidOperationException($"clock_gettime failed: {Marshal.GetLastPInvokeError()}");
        }

        return (time.Seconds * 1_000_000_000) + time.Nanoseconds;
    }

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int clock_gettime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
