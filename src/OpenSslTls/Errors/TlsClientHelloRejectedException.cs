namespace OpenSslTls.Errors;

/// <summary>
/// A server connection's first bytes were refused before any <c>SSL</c> was made: not a TLS handshake record, an
/// implausible record header, a first handshake message that is not a ClientHello, or a ClientHello declared longer
/// than the profile's tuning allows (<c>MaxClientHelloBytes</c>). The message names which.
/// </summary>
public sealed class TlsClientHelloRejectedException : TlsException
{
    /// <summary>Creates the exception with a message.</summary>
    public TlsClientHelloRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsClientHelloRejectedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with the default message.</summary>
    public TlsClientHelloRejectedException()
        : this("TLS handshake refused: the first bytes are not an acceptable ClientHello")
    {
    }
}
