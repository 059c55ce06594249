namespace OpenSslTls.Connections;

/// <summary>The result of a <see cref="TlsConnection"/> operation; a value type so the hot path allocates nothing.</summary>
/// <param name="Status">What happened.</param>
/// <param name="HandshakeCompleted">True on the one call during which the handshake completed.</param>
public readonly record struct TlsResult(TlsStatus Status, bool HandshakeCompleted = false)
{
    /// <summary>Whether the connection can still be used (<see cref="TlsStatus.Ok"/>, <see cref="TlsStatus.Queued"/> or <see cref="TlsStatus.WantsCallback"/>).</summary>
    public bool IsSuccess => Status is TlsStatus.Ok or TlsStatus.Queued or TlsStatus.WantsCallback;
}
