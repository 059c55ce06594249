namespace OpenSslTls.Benchmarks;

/// <summary>How a resumed handshake finds its session.</summary>
public enum ResumptionMode
{
    /// <summary>TLS 1.3 PSK from a session ticket.</summary>
    Tls13Ticket,

    /// <summary>TLS 1.2, server-side session cache looked up by session id (the client sends no ticket extension).</summary>
    Tls12SessionId,

    /// <summary>TLS 1.2 session ticket (RFC 5077).</summary>
    Tls12Ticket,
}
