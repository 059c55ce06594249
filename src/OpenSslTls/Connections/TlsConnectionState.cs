namespace OpenSslTls.Connections;

/// <summary>Where a connection is in its life.</summary>
public enum TlsConnectionState
{
    /// <summary>Created; for a client, <see cref="TlsConnection.Start"/> has not yet produced the ClientHello.</summary>
    New,

    /// <summary>Handshake messages are being exchanged.</summary>
    Handshaking,

    /// <summary>The handshake completed; application data flows.</summary>
    Established,

    /// <summary>The peer sent close_notify.</summary>
    PeerClosed,

    /// <summary>Closed locally (with or without close_notify).</summary>
    Closed,

    /// <summary>The handshake or a record failed.</summary>
    Failed,
}
