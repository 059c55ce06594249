namespace OpenSslTls.Benchmarks.Report;

/// <summary>The 1-, 5- and 15-minute load averages (<c>/proc/loadavg</c>), printed beside every figure of a shared machine.</summary>
internal static class LoadAverageText
{
    public static string Read()
    {
        try
        {
            string[] fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{fields[0]} {fields[1]} {fields[2]}";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
