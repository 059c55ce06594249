namespace OpenSslTls.Module;

/// <summary><c>tls.info</c>: connection counts and the clear-text queue.</summary>
/// <param name="MaxConnections">The largest number of connections open at once since start.</param>
/// <param name="OpenedConnections">Connections open now.</param>
/// <param name="ClearTextQueuedBytes">Plaintext bytes waiting for handshakes, all connections together.</param>
/// <param name="Generation">The number of the current profile set (1 at start, +1 per successful reload).</param>
/// <param name="LiveGenerations">Profile sets still in use (the current one plus superseded ones with open connections).</param>
/// <param name="Cluster">Shared ticket keys and session cache counters, or null when the module has neither (then absent from the JSON, which stays what it was).</param>
public sealed record TlsModuleInfo(int MaxConnections, int OpenedConnections, long ClearTextQueuedBytes, long Generation, int LiveGenerations,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] TlsClusterInfo? Cluster = null);
