namespace OpenSslTls.SocketBench.Setup;

/// <summary>How the connections of one set-up row begin: a full handshake, or resuming the session of the first one.</summary>
internal enum SetupResumption
{
    /// <summary>Every connection a full handshake (<c>s_time -new</c>); resumption off on every server.</summary>
    None,

    /// <summary>TLS 1.2, resumed from the servers' session cache by session id: the client offers no ticket.</summary>
    SessionId,

    /// <summary>TLS 1.2, resumed by a session ticket (RFC 5077).</summary>
    Ticket,

    /// <summary>TLS 1.3, resumed by a PSK from a NewSessionTicket (the client has to read after the handshake to get it).</summary>
    Tls13Ticket,
}
