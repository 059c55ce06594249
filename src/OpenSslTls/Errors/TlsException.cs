namespace OpenSslTls.Errors;

/// <summary>
/// The base of every exception the library throws or reports as a connection's failure. Catch it to handle any
/// failure of the library; catch a derived type to handle one kind: <see cref="OpenSslException"/> (OpenSSL itself
/// reported the error, with its queue), configuration, profile and engine errors, a low-memory refusal, a peer that
/// closed during the handshake, a caller's callback that threw, an unsupported OpenSSL version.
/// </summary>
public class TlsException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public TlsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public TlsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsException()
        : this("TLS operation failed")
    {
    }
}
