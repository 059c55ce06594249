namespace OpenSslTls.Errors;

/// <summary>
/// The loaded OpenSSL is not one the bindings support, and <c>tls_force_run</c> was not set: the library refuses to
/// start rather than call into a library whose ABI it does not know.
/// </summary>
public sealed class OpenSslVersionException : TlsException
{
    /// <summary>Creates the exception with a message naming the loaded and the supported versions.</summary>
    public OpenSslVersionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public OpenSslVersionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with no details.</summary>
    public OpenSslVersionException()
        : this("the loaded OpenSSL version is not supported")
    {
    }
}
