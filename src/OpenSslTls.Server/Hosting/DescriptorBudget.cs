using System.Globalization;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// How many connections the process's file-descriptor limit leaves room for. At the limit itself the .NET runtime
/// cannot start a thread (its thread start-up opens a pipe: EMFILE), reports that as "Out of memory." and aborts the
/// process; it also loads assemblies lazily and names new threads through /proc, each needing a descriptor. So the
/// server must never use the last descriptors itself: its connections stop at the soft <c>RLIMIT_NOFILE</c> minus
/// what is open when it starts (assemblies, epoll, the listeners) minus a reserve kept free for the runtime, the
/// control socket and log files. Connections beyond that are refused at accept, as at <c>MaxConnections</c>.
/// </summary>
internal static class DescriptorBudget
{
    /// <summary>
    /// Descriptors kept free by default: thread starts (two each, briefly), lazily loaded assemblies, control-socket
    /// clients, a certificate reload reading its files, the cluster's Redis connections, with room to spare.
    /// </summary>
    public const int DefaultReserve = 64;

    /// <summary>
    /// The connections the descriptor limit leaves room for now, or null when there is no such limit to respect
    /// (not Linux, unlimited, or /proc unreadable) or <paramref name="reserve"/> is 0 (the cap turned off).
    /// Never below 1: a limit too low for the reserve still serves one connection (and says so in the log).
    /// <paramref name="connectionsOpen"/> connections already counted in the budget are not counted as open at start.
    /// </summary>
    public static DescriptorCap? Measure(int reserve, int connectionsOpen = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reserve);
        if (reserve == 0 || !OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            long? soft = SoftOpenFilesLimit(File.ReadAllText("/proc/self/limits"));
            if (soft is null)
            {
                return null;
            }

            int open = Math.Max(0, Directory.GetFileSystemEntries("/proc/self/fd").Length - connectionsOpen);
            return From(soft.Value, open, reserve);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The cap for a soft limit, the descriptors open now and a reserve (never below 1).</summary>
    public static DescriptorCap From(long softLimit, int open, int reserve)
    {
        long room = softLimit - open - reserve;
        return new DescriptorCap((int)Math.Clamp(room, 1, int.MaxValue), softLimit, open, reserve);
    }

    /// <summary>The soft "Max open files" of a /proc/PID/limits text; null when absent or "unlimited".</summary>
    public static long? SoftOpenFilesLimit(string limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        foreach (string line in limits.Split('\n'))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                continue;
            }

            string[] fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft) ? soft : null;
        }

        return null;
    }
}

/// <summary>A connection cap derived from the descriptor limit, with the figures it came from (for the log).</summary>
internal readonly record struct DescriptorCap(int Connections, long SoftLimit, int OpenAtStart, int Reserve);
