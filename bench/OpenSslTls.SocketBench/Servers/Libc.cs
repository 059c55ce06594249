using System.Runtime.InteropServices;

namespace OpenSslTls.SocketBench.Servers;

/// <summary>The two libc calls the runner needs: SIGTERM for a child (graceful stop, as a service manager would) and the clock-tick rate of /proc.</summary>
internal static partial class Libc
{
    public const int SigTerm = 15;

    public const int SigUsr1 = 10;

    private const int ScClkTck = 2;

    private const int RlimitNofile = 7;

    /// <summary>Clock ticks per second of the utime/stime fields of /proc/PID/stat.</summary>
    public static long ClockTicksPerSecond()
    {
        long ticks = sysconf(ScClkTck);
        return ticks > 0 ? ticks : throw new InvalidOperationException("sysconf(_SC_CLK_TCK) failed");
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it failed (e.g. the process is gone).</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>
    /// Raises this process's soft and hard limit of open file descriptors to at least <paramref name="wanted"/>
    /// (children inherit it); returns the soft limit now. Raising the hard limit needs root (CAP_SYS_RESOURCE).
    /// </summary>
    public static long RaiseDescriptorLimit(long wanted)
    {
        if (getrlimit(RlimitNofile, out ResourceLimit limit) != 0)
        {
            throw new InvalidOperationException($"getrlimit(RLIMIT_NOFILE) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        if (limit.Current >= (ulong)wanted)
        {
            return (long)limit.Current;
        }

        var raised = new ResourceLimit { Current = (ulong)wanted, Maximum = Math.Max(limit.Maximum, (ulong)wanted) };
        if (setrlimit(RlimitNofile, in raised) != 0)
        {
            // Not root: as far as the hard limit goes.
            raised = new ResourceLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            _ = setrlimit(RlimitNofile, in raised);
        }

        return getrlimit(RlimitNofile, out limit) == 0 ? (long)limit.Current : 0;
    }

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial long sysconf(int name);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int getrlimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int setrlimit(int resource, in ResourceLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
