namespace OpenSslTls.Benchmarks;

/// <summary>What a scenario measures.</summary>
public enum ScenarioKind
{
    /// <summary>Full handshakes per second (client and server in one thread).</summary>
    Handshake,

    /// <summary>Resumed handshakes per second.</summary>
    Resume,

    /// <summary>Plaintext megabytes per second for one message encrypted by the client and decrypted by the server.</summary>
    Record,

    /// <summary>Memory per idle established server connection.</summary>
    Idle,
}
