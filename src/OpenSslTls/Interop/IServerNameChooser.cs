namespace OpenSslTls.Interop;

/// <summary>
/// Chooses the server context for the SNI name a client sent, during its handshake (from
/// <see cref="ServerNameSwitch"/>'s callbacks). The layer that knows profiles implements it; this layer only switches
/// the <c>SSL</c> to the context returned and copies that context's verification settings, options and protocol range.
/// </summary>
internal interface IServerNameChooser
{
    /// <summary>
    /// The context to switch to for <paramref name="serverName"/>, or null to keep the one the connection started
    /// with. May throw: the handshake then fails and the connection reports the exception.
    /// </summary>
    SafeSslContextHandle? Choose(string serverName);
}
