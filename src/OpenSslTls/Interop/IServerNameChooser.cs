namespace OpenSslTls.Interop;

/// <summary>
/// Chooses the server context for the SNI name a client sent, during its handshake (from
/// <see cref="ServerNameSwitch"/>'s callbacks). The layer that knows profiles implements it; this layer only switches
/// the <c>SSL</c> to the context returned and copies that context's verification settings, options and protocol range.
/// </summary>
internal interface IServerNameChooser
{
    /// <summary>Whether <see cref="Choose"/> is asked also when the ClientHello names no server (an asynchronous selection is).</summary>
    bool ChoosesWithoutServerName { get; }

    /// <summary>
    /// What to do for <paramref name="serverName"/> (null when the ClientHello has none). Asked again, after a
    /// <see cref="ServerNameOutcome.Wait"/>, when the handshake is driven on. May throw: the handshake then fails with
    /// an internal_error alert and the connection reports the exception.
    /// </summary>
    ServerNameDecision Choose(string? serverName);
}

/// <summary>What a chooser decided.</summary>
internal enum ServerNameOutcome
{
    /// <summary>Go on, switched to <see cref="ServerNameDecision.Context"/> when it is set.</summary>
    Proceed,

    /// <summary>Not decided yet: suspend the handshake (<c>SSL_CLIENT_HELLO_RETRY</c>) and ask again when it is driven on.</summary>
    Wait,

    /// <summary>Refused: fail the handshake with an unrecognized_name alert.</summary>
    Refuse,
}

/// <summary>
/// A chooser's decision: the outcome, the context to switch to (or null to keep the current one) and, for a switch, a
/// peer-certificate validator to attach when the connection has none yet (the chosen profile has a validation callback).
/// </summary>
internal readonly record struct ServerNameDecision(ServerNameOutcome Outcome, SafeSslContextHandle? Context = null, IPeerCertificateValidator? Validator = null)
{
    internal static ServerNameDecision Keep => new(ServerNameOutcome.Proceed);

    internal static ServerNameDecision Wait => new(ServerNameOutcome.Wait);

    internal static ServerNameDecision Refuse => new(ServerNameOutcome.Refuse);
}
