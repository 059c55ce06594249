namespace OpenSslTls.Connections;

/// <summary>The outcome of one <see cref="TlsConnection"/> operation.</summary>
public enum TlsStatus
{
    /// <summary>Done; any ciphertext produced is in the output writer and must be sent to the peer.</summary>
    Ok,

    /// <summary>The handshake is still running; the plaintext was queued and will be encrypted when it completes.</summary>
    Queued,

    /// <summary>The plaintext was not queued: it would exceed <c>con_ct_wq_max</c> or <c>ct_wq_max</c>.</summary>
    QueueFull,

    /// <summary>The peer sent close_notify: no more plaintext will come (plaintext before it was delivered).</summary>
    PeerClosed,

    /// <summary>The connection is closed locally; nothing was done.</summary>
    Closed,

    /// <summary>The handshake or a record failed; see <see cref="TlsConnection.Failure"/>. Send any output (it may hold an alert), then close the socket.</summary>
    Failed,

    /// <summary>
    /// The handshake waits for an asynchronous callback (a <see cref="TlsServerProfileSelectionCallback"/>): ciphertext
    /// given meanwhile was kept. Send any output, await <see cref="TlsConnection.PendingCallback"/>, then call
    /// <c>Receive</c> (with an empty span when no bytes came) to resume the handshake.
    /// </summary>
    WantsCallback,
}
