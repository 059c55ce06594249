using System.Globalization;

namespace OpenSslTls.SocketBench.Servers;

/// <summary>
/// What /proc tells about a process: its CPU time (every thread, dead ones included: utime + stime of /proc/PID/stat)
/// and the port of its listening loopback TCP socket. Both children are found and measured this way, so neither has to
/// cooperate: serve is run as shipped, at a log level that prints nothing per connection (not even its port).
/// </summary>
internal static class ProcFs
{
    private const string TcpListenState = "0A";

    private static readonly double s_ticksPerSecond = Libc.ClockTicksPerSecond();

    /// <summary>User + system CPU seconds used so far by process <paramref name="pid"/> (resolution: one clock tick, 10 ms).</summary>
    public static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");

        // Field 2 (comm) is parenthesised and may hold spaces: count fields from the last ')' on.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long user = long.Parse(fields[11], CultureInfo.InvariantCulture);
        long system = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (user + system) / s_ticksPerSecond;
    }

    /// <summary>The resident set (VmRSS of /proc/PID/status) of process <paramref name="pid"/>, in bytes.</summary>
    public static long ResidentBytes(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS for process {pid}");
    }

    /// <summary>The port of a TCP socket that process <paramref name="pid"/> has listening on 127.0.0.1, or null while there is none.</summary>
    public static int? ListeningLoopbackPort(int pid)
    {
        string process = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}";
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (string descriptor in Directory.EnumerateFileSystemEntries(process + "/fd"))
            {
                string? target = TryReadLink(descriptor);
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']'))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }

            // The table of the process's network namespace: "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...".
            foreach (string line in File.ReadLines(process + "/net/tcp").Skip(1))
            {
                string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length > 9 && columns[3] == TcpListenState && inodes.Contains(columns[9]) && columns[1].StartsWith("0100007F:", StringComparison.Ordinal))
                {
                    return int.Parse(columns[1]["0100007F:".Length..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process is starting or gone: no port yet.
        }

        return null;
    }

    private static string? TryReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The descriptor closed while the directory was read.
            return null;
        }
    }
}
