using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Idle;

/// <summary>What one server's idle run measured (bytes, seconds).</summary>
internal sealed record IdleServerResult
{
    public ServerKind Kind { get; init; }

    public int Held { get; init; }

    public int Failed { get; init; }

    public string? FirstFailure { get; init; }

    public double SetupSeconds { get; init; }

    public double SetupCpuSeconds { get; init; }

    public long ResidentBefore { get; init; }

    public long ResidentAfter { get; init; }

    public long ResidentAsFound { get; init; }

    public long ManagedBefore { get; init; }

    public long ManagedAfter { get; init; }

    public double InfoMilliseconds { get; init; }

    public double ListMilliseconds { get; init; }

    public int ListRows { get; init; }

    public int ReleasingRows { get; init; }

    public long OpenedConnections { get; init; }

    public double ResidentPerConnection => Held == 0 ? 0 : (double)(ResidentAfter - ResidentBefore) / Held;

    public double ResidentAsFoundPerConnection => Held == 0 ? 0 : (double)(ResidentAsFound - ResidentBefore) / Held;

    public double ManagedPerConnection => Held == 0 ? 0 : (double)(ManagedAfter - ManagedBefore) / Held;
}
