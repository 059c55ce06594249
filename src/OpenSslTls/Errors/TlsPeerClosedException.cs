namespace OpenSslTls.Errors;

/// <summary>The peer closed the connection (close_notify or end of stream) before the handshake completed.</summary>
public sealed class TlsPeerClosedException : TlsException
{
    /// <summary>Creates the exception with a message.</summary>
    public TlsPeerClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsPeerClosedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with the default message.</summary>
    public TlsPeerClosedException()
        : this("TLS handshake failed: the peer closed the connection during the handshake")
    {
    }
}
