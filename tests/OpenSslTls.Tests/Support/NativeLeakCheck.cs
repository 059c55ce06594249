using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// Base class for tests that touch native objects: snapshots the live-object counters before the test and, after it,
/// collects garbage (so finalizers of forgotten handles run) and fails when any count differs. The native I/O shim's
/// BIO states (freed in C when libssl frees the BIO) are counted too.
/// </summary>
public abstract class NativeLeakCheck : IDisposable
{
    private readonly IReadOnlyDictionary<NativeObjectKind, long> _before;
    private readonly long _ioBlocksBefore;

    protected NativeLeakCheck()
    {
        OpenSslRuntime.EnsureInitialized();
        Settle();
        _before = NativeObjectCounter.Snapshot();
        _ioBlocksBefore = NativeIoShim.LiveIoBlocks;
    }

    /// <summary>Set by a test that intentionally keeps objects alive across tests (none should).</summary>
    protected bool SkipLeakCheck { get; set; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || SkipLeakCheck)
        {
            return;
        }

        Settle();
        IReadOnlyDictionary<NativeObjectKind, long> after = NativeObjectCounter.Snapshot();
        var leaks = after.Where(entry => entry.Value != _before[entry.Key])
            .Select(entry => $"{entry.Key}: {_before[entry.Key]} -> {entry.Value}")
            .ToList();
        long ioBlocks = NativeIoShim.LiveIoBlocks;
        if (ioBlocks != _ioBlocksBefore)
        {
            leaks.Add($"native I/O BIO states: {_ioBlocksBefore} -> {ioBlocks}");
        }

        Assert.True(leaks.Count == 0, "native objects leaked: " + string.Join(", ", leaks));
    }

    private static void Settle()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }
}
