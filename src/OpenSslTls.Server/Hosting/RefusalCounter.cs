using System.Diagnostics;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// Counts refusals of one kind and says when to log them: at the first, then at most once per interval with the
/// number refused since the last line, so a flood of refused connections writes one line per interval, not one each.
/// Thread-safe. <paramref name="clock"/> (Stopwatch timestamps) is for tests.
/// </summary>
internal sealed class RefusalCounter(TimeSpan interval, Func<long>? clock = null)
{
    private readonly Lock _lock = new();
    private readonly Func<long> _clock = clock ?? Stopwatch.GetTimestamp;
    private bool _logged;
    private long _loggedAt;
    private long _sinceLog;

    /// <summary>Counts one refusal; returns how many to report now (this one included), or 0 inside the interval.</summary>
    public long Note()
    {
        lock (_lock)
        {
            _sinceLog++;
            long now = _clock();
            if (_logged && Stopwatch.GetElapsedTime(_loggedAt, now) < interval)
            {
                return 0;
            }

            _logged = true;
            _loggedAt = now;
            long count = _sinceLog;
            _sinceLog = 0;
            return count;
        }
    }
}
