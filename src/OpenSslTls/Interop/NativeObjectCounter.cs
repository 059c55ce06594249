namespace OpenSslTls.Interop;

/// <summary>
/// Live-object counters per native type: incremented when a safe handle takes ownership, decremented when it frees.
/// Tests compare snapshots to fail on leaks; the runtime views report them to operators.
/// </summary>
internal static class NativeObjectCounter
{
    private static readonly long[] Counts = new long[Enum.GetValues<NativeObjectKind>().Length];

    internal static void Increment(NativeObjectKind kind) => Interlocked.Increment(ref Counts[(int)kind]);

    internal static void Decrement(NativeObjectKind kind) => Interlocked.Decrement(ref Counts[(int)kind]);

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
}
