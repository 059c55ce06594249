namespace OpenSslTls.Interop;

/// <summary>
/// Live-object counters per native type: incremented when a safe handle takes ownership, decremented when it frees.
/// The process-wide counts serve the soak and benchmark tools and the runtime views; a <see cref="Scope"/> counts
/// only the handles created while it was current, so tests running in parallel each check their own objects.
/// </summary>
internal static class NativeObjectCounter
{
    private static readonly int KindCount = Enum.GetValues<NativeObjectKind>().Length;
    private static readonly long[] Counts = new long[KindCount];

    // AsyncLocal, not ThreadStatic: threads, tasks and timers started inside a scope inherit the ExecutionContext, so
    // a test's server loops count their objects to that test whichever thread runs them.
    private static readonly AsyncLocal<Scope?> Ambient = new();

    private static long s_ioStateConnections;
    private static long s_ioReleasesStarted;
    private static long s_ioReleasesFinished;

    /// <summary>The scope new handles count to, or null outside any.</summary>
    internal static Scope? CurrentScope => Ambient.Value;

    /// <summary>
    /// SSL handles whose connection holds a native I/O shim BIO state (made with its BIO by the shim, see
    /// <see cref="IOpenSslObject{TSelf}.HoldsNativeIoState"/>): the managed side of the shim's own live count.
    /// </summary>
    internal static long IoStateConnections => Interlocked.Read(ref s_ioStateConnections);

    /// <summary>Makes a new scope current for this ExecutionContext (and what it starts) until the scope is disposed.</summary>
    internal static Scope OpenScope()
    {
        var scope = new Scope(Ambient.Value);
        Ambient.Value = scope;
        return scope;
    }

    /// <summary>Counts a handle that took ownership; returns the scope it counts to, which its release must decrement.</summary>
    internal static Scope? Increment(NativeObjectKind kind, bool holdsIoState)
    {
        Interlocked.Increment(ref Counts[(int)kind]);
        if (holdsIoState)
        {
            Interlocked.Increment(ref s_ioStateConnections);
        }

        Scope? scope = Ambient.Value;
        scope?.Add(kind, holdsIoState, 1);
        return scope;
    }

    /// <summary>Uncounts a handle that freed or transferred its reference, in the scope it was created in.</summary>
    internal static void Decrement(NativeObjectKind kind, Scope? scope, bool holdsIoState)
    {
        Interlocked.Decrement(ref Counts[(int)kind]);
        if (holdsIoState)
        {
            Interlocked.Decrement(ref s_ioStateConnections);
        }

        scope?.Add(kind, holdsIoState, -1);
    }

    /// <summary>
    /// Brackets the free of a connection holding a shim BIO state (the shim's count drops inside the free, ours after
    /// it), so <see cref="TryReadIoStateBalance"/> can tell a release in progress from a real imbalance.
    /// </summary>
    internal static void IoReleaseStarting() => Interlocked.Increment(ref s_ioReleasesStarted);

    /// <inheritdoc cref="IoReleaseStarting"/>
    internal static void IoReleaseFinished() => Interlocked.Increment(ref s_ioReleasesFinished);

    /// <summary>
    /// Reads the shim's live BIO states and <see cref="IoStateConnections"/> in a window no release overlapped; false
    /// when one did (read again). In such a window states == connections + connections being created (the shim counts a
    /// state before its SSL handle exists) + states that outlived their SSL: so states &lt; connections is a
    /// miscount, and states == connections proves no state leaked. Process-wide: parallel tests' objects are included.
    /// </summary>
    internal static bool TryReadIoStateBalance(Func<long> liveIoStates, out long connections, out long states)
    {
        long finished = Interlocked.Read(ref s_ioReleasesFinished);
        long started = Interlocked.Read(ref s_ioReleasesStarted);
        connections = Interlocked.Read(ref s_ioStateConnections);
        states = liveIoStates();
        return started == finished && Interlocked.Read(ref s_ioReleasesStarted) == started;
    }

    internal static long Get(NativeObjectKind kind) => Interlocked.Read(ref Counts[(int)kind]);

    internal static IReadOnlyDictionary<NativeObjectKind, long> Snapshot()
    {
        var snapshot = new Dictionary<NativeObjectKind, long>();
        foreach (NativeObjectKind kind in Enum.GetValues<NativeObjectKind>())
        {
            snapshot[kind] = Get(kind);
        }

        return snapshot;
    }

    /// <summary>
    /// The live objects created while this scope was current, wherever and whenever they are released (a handle keeps
    /// its scope). Scopes do not nest: an inner scope's objects do not count to the outer one.
    /// </summary>
    internal sealed class Scope : IDisposable
    {
        private readonly Scope? _previous;
        private readonly long[] _counts = new long[KindCount];
        private long _ioStateConnections;

        internal Scope(Scope? previous) => _previous = previous;

        /// <summary>SSL handles of this scope holding a shim BIO state (those states are freed with their SSL).</summary>
        internal long IoStateConnections => Interlocked.Read(ref _ioStateConnections);

        internal long Get(NativeObjectKind kind) => Interlocked.Read(ref _counts[(int)kind]);

        internal IReadOnlyDictionary<NativeObjectKind, long> Snapshot()
        {
            var snapshot = new Dictionary<NativeObjectKind, long>();
            foreach (NativeObjectKind kind in Enum.GetValues<NativeObjectKind>())
            {
                snapshot[kind] = Get(kind);
            }

            return snapshot;
        }

        /// <summary>Stops counting new handles to this scope (handles already counted still decrement it).</summary>
        public void Dispose()
        {
            if (Ambient.Value == this)
            {
                Ambient.Value = _previous;
            }
        }

        internal void Add(NativeObjectKind kind, bool holdsIoState, int delta)
        {
            Interlocked.Add(ref _counts[(int)kind], delta);
            if (holdsIoState)
            {
                Interlocked.Add(ref _ioStateConnections, delta);
            }
        }
    }
}
