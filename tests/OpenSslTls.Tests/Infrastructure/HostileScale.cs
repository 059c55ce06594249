namespace OpenSslTls.Tests.Infrastructure;

/// <summary>
/// The size knob of the hostile-peer tests: short by default, so CI runs them in seconds with hundreds of connections;
/// <c>OPENSSLTLS_HOSTILE_SCALE=full</c> switches to the full length (minutes, thousands of connections) that
/// docs/reliability.md describes. Read once per process, so every test of one run uses the same scale.
/// </summary>
internal static class HostileScale
{
    /// <summary>The environment variable that selects the scale.</summary>
    public const string Variable = "OPENSSLTLS_HOSTILE_SCALE";

    /// <summary>True when the full-length sizes apply.</summary>
    public static bool IsFull { get; } =
        string.Equals(Environment.GetEnvironmentVariable(Variable), "full", StringComparison.OrdinalIgnoreCase);

    /// <summary>"ci" or "full", for test output.</summary>
    public static string Name => IsFull ? "full" : "ci";

    public static int Pick(int ci, int full) => IsFull ? full : ci;

    public static TimeSpan Pick(TimeSpan ci, TimeSpan full) => IsFull ? full : ci;
}
