using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// What an accept loop does when the process or the system runs out of file descriptors (EMFILE/ENFILE). The waiting
/// connection stays in the kernel's backlog then, the listener stays readable, and a loop that just retried would spin
/// while the client hangs. So one descriptor is kept in reserve (an open /dev/null): when accept fails for lack of
/// descriptors, the reserve is closed, the waiting connection accepted with it and closed at once (refused, the client
/// sees the end of the stream), and the reserve taken again. When even that finds no descriptor, the loop waits a
/// little before the next try. Refusals are logged once per interval with their count, and once when accepting works
/// again. Thread-safe: several listeners share one.
/// </summary>
internal sealed class DescriptorShortage : IDisposable
{
    private const int Enfile = 23;
    private const int Emfile = 24;

    private readonly Lock _lock = new();
    private readonly TimeSpan _logInterval;
    private readonly Func<long> _clock;
    private SafeFileHandle? _reserve;
    private bool _short;
    private bool _disposed;
    private long _loggedAt;
    private long _refusedSinceLog;
    private long _refusedInShortage;

    /// <summary>Takes the reserve descriptor; <paramref name="clock"/> (Stopwatch timestamps) is for tests.</summary>
    public DescriptorShortage(TimeSpan logInterval, Func<long>? clock = null)
    {
        _logInterval = logInterval;
        _clock = clock ?? Stopwatch.GetTimestamp;
        TakeReserve();
    }

    /// <summary>Whether a reserve descriptor is held now.</summary>
    public bool HasReserve
    {
        get
        {
            lock (_lock)
            {
                return _reserve is not null;
            }
        }
    }

    /// <summary>Whether <paramref name="e"/> says the process (EMFILE) or the system (ENFILE) has no file descriptor left.</summary>
    public static bool IsShortage(SocketException e) =>
        e is not null && (e.SocketErrorCode == SocketError.TooManyOpenSockets || e.NativeErrorCode is Emfile or Enfile);

    /// <summary>Closes the reserve so that the next accept has a descriptor to take; false when there was none.</summary>
    public bool ReleaseReserve()
    {
        lock (_lock)
        {
            if (_reserve is null)
            {
                return false;
            }

            _reserve.Dispose();
            _reserve = null;
            return true;
        }
    }

    /// <summary>Takes the reserve again if it is not held (fails quietly while descriptors are still short).</summary>
    public void TakeReserve()
    {
        lock (_lock)
        {
            if (_reserve is not null || _disposed)
            {
                return;
            }

            try
            {
                _reserve = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                // Still short (or no /dev/null): the next shortage waits instead of refusing, and the reserve is retried after a good accept.
                _reserve = null;
            }
        }
    }

    /// <summary>
    /// Counts a failed accept (<paramref name="refusedOne"/>: a waiting connection was taken and closed). Returns the
    /// number of refusals to log now: at the first of a shortage, then at most once per interval; 0 when this one
    /// falls inside the interval of the last line. Returns at least 1 for the first line even when nothing was taken.
    /// </summary>
    public long NoteFailure(bool refusedOne)
    {
        lock (_lock)
        {
            if (refusedOne)
            {
                _refusedSinceLog++;
                _refusedInShortage++;
            }

            long now = _clock();
            if (!_short || Stopwatch.GetElapsedTime(_loggedAt, now) >= _logInterval)
            {
                _short = true;
                _loggedAt = now;
                long count = _refusedSinceLog;
                _refusedSinceLog = 0;
                return Math.Max(count, 1);
            }

            return 0;
        }
    }

    /// <summary>
    /// Notes a successful accept. True once after a shortage, with the connections refused during it (the line saying
    /// accepting works again); the reserve is taken again if it was lost.
    /// </summary>
    public bool NoteAccepted(out long refused)
    {
        refused = 0;
        lock (_lock)
        {
            if (!_short)
            {
                return false;
            }

            _short = false;
            refused = _refusedInShortage;
            _refusedInShortage = 0;
            _refusedSinceLog = 0;
        }

        TakeReserve();
        return true;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _reserve?.Dispose();
            _reserve = null;
        }
    }
}
