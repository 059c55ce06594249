using System.Diagnostics;
using System.Globalization;

namespace OpenSslTls.Benchmarks.Report;

/// <summary>
/// Progress of a long bench mode on stderr: one line per finished step (scenario, probe, round) with the count so far
/// and the time since the mode started, so a run of many minutes shows it is moving and how far it has come.
/// </summary>
internal sealed class BenchProgress(string mode, int total, TextWriter log)
{
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private int _done;

    /// <summary>Steps announced so far.</summary>
    public int Done => _done;

    /// <summary>Counts one step done and prints <c>[MODE N/TOTAL, H:MM:SS] WHAT</c>.</summary>
    public void Step(string what)
    {
        _done++;
        log.WriteLine(Line(mode, _done, total, _elapsed.Elapsed, what));
    }

    /// <summary>The line <see cref="Step"/> prints.</summary>
    public static string Line(string mode, int done, int total, TimeSpan elapsed, string what) =>
        string.Create(CultureInfo.InvariantCulture, $"[{mode} {done}/{total}, {(int)elapsed.TotalHours}:{elapsed.Minutes:D2}:{elapsed.Seconds:D2}] {what}");
}
