using System.Runtime.InteropServices;

namespace OpenSslTls.SocketBench.Servers;

/// <summary>The two libc calls the runner needs: SIGTERM for a child (graceful stop, as a service manager would) and the clock-tick rate of /proc.</summary>
internal static partial class Libc
{
    public const int SigTerm = 15;

    private const int ScClkTck = 2;

    /// <summary>Clock ticks per second of the utime/stime fields of /proc/PID/stat.</summary>
    public static long ClockTicksPerSecond()
    {
        long ticks = sysconf(ScClkTck);
        return ticks > 0 ? ticks : throw new InvalidOperationException("sysconf(_SC_CLK_TCK) failed");
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it failed (e.g. the process is gone).</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial long sysconf(int name);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
