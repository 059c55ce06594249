using System.Globalization;
using System.Runtime.InteropServices;

namespace OpenSslTls.Benchmarks.Memory;

/// <summary>What the process holds: resident set (VmRSS), bytes in use in glibc's malloc (OpenSSL's allocations), managed heap.</summary>
internal static partial class ProcessMemory
{
    public static long ResidentBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                string kib = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }

    /// <summary>glibc's bytes in use (mallinfo2: uordblks + hblkhd), the same figure the C harness prints as <c>-heap</c>.</summary>
    public static long NativeHeapBytes()
    {
        MallInfo2 info = mallinfo2();
        return (long)(info.Uordblks + info.Hblkhd);
    }

    /// <summary>Live managed bytes after a full blocking collection (finalizers run, so disposed handles are gone).</summary>
    public static long ManagedBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [LibraryImport("libc.so.6")]
    private static partial MallInfo2 mallinfo2();

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }
}
