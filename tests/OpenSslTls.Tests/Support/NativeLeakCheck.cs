using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// Base class for tests that touch native objects: opens a native-object counter scope for the test (the handles it
/// and everything it starts create count to it, whichever thread frees them) and, after the test, collects garbage (so
/// finalizers of forgotten handles run) and fails when any of them is still alive. Tests run in parallel, so the
/// process-wide counts are not compared; the native I/O shim's BIO states (freed in C when libssl frees the SSL) are
/// checked twice: each one belongs to an SSL handle, counted in the scope like any other, and process-wide the shim's
/// live states must equal the live SSL handles that hold one whenever no connection is being made or freed.
/// </summary>
public abstract class NativeLeakCheck : IDisposable
{
    // Long enough to outlast any burst of connection set-ups in the tests running alongside; a real leak never settles.
    private static readonly TimeSpan IoBalanceTimeout = TimeSpan.FromSeconds(10);

    private readonly NativeObjectCounter.Scope _scope;

    protected NativeLeakCheck()
    {
        // Process-wide objects made on first use belong to no test: made before the scope opens.
        OpenSslRuntime.EnsureInitialized();
        _ = NativeIoShim.LiveIoBlocks;
        _scope = NativeObjectCounter.OpenScope();
    }

    /// <summary>Set by a test that intentionally keeps objects alive across tests (none should).</summary>
    protected bool SkipLeakCheck { get; set; }

    /// <summary>The live objects of <paramref name="kind"/> this test made (process-wide counts include parallel tests).</summary>
    private protected long LiveInThisTest(NativeObjectKind kind) => _scope.Get(kind);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _scope.Dispose();
        if (SkipLeakCheck)
        {
            return;
        }

        Settle();
        var leaks = _scope.Snapshot().Where(entry => entry.Value != 0)
            .Select(entry => $"{entry.Key}: {entry.Value}")
            .ToList();
        if (_scope.IoStateConnections != 0)
        {
            leaks.Add($"connections holding a native I/O BIO state: {_scope.IoStateConnections}");
        }

        Assert.True(leaks.Count == 0, "native objects leaked by this test: " + string.Join(", ", leaks));
        string? imbalance = IoStateImbalance();
        Assert.True(imbalance is null, imbalance);
    }

    /// <summary>
    /// Null when the shim's live BIO states balance the SSL handles holding one (see
    /// <c>NativeObjectCounter.TryReadIoStateBalance</c>); otherwise why not. Sampled until a window without a
    /// release in progress shows the balance, as parallel tests keep making and freeing connections.
    /// </summary>
    private static string? IoStateImbalance()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long connections = 0;
        long states = 0;
        while (clock.Elapsed < IoBalanceTimeout)
        {
            if (NativeObjectCounter.TryReadIoStateBalance(() => NativeIoShim.LiveIoBlocks, out connections, out states))
            {
                if (states == connections)
                {
                    return null;
                }

                if (states < connections)
                {
                    return $"native I/O BIO states: {states} live but {connections} SSL handles hold one (a state freed under its connection)";
                }
            }

            Thread.Sleep(5);
        }

        return $"native I/O BIO states: {states} live but only {connections} SSL handles hold one, for {IoBalanceTimeout.TotalSeconds} s " +
            "(a state outlived its SSL; process-wide, so possibly a test running in parallel)";
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
