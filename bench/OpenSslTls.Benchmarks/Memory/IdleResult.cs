namespace OpenSslTls.Benchmarks.Memory;

/// <summary>Memory per idle established server connection, in bytes: resident set, glibc heap in use, live managed heap.</summary>
internal sealed record IdleResult(double ResidentPerConnection, double NativeHeapPerConnection, double ManagedPerConnection)
{
    /// <summary>Native heap plus managed heap: what the connection really keeps allocated, whether or not its pages were touched.</summary>
    public double HeapPerConnection => NativeHeapPerConnection + ManagedPerConnection;
}
