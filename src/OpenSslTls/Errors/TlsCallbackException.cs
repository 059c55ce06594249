namespace OpenSslTls.Errors;

/// <summary>
/// Code the caller gave the library threw while OpenSSL was running it (an SNI profile selector, an output buffer
/// writer, a validation or selection callback): the operation failed, and <see cref="Exception.InnerException"/> is
/// what the caller's code threw. No exception ever crosses into native code.
/// </summary>
public sealed class TlsCallbackException : TlsException
{
    /// <summary>Creates the exception for <paramref name="callback"/>, which threw <paramref name="innerException"/>.</summary>
    public TlsCallbackException(string callback, string operation, Exception innerException)
        : base($"{operation} failed: the {callback} threw {innerException?.GetType().Name}: {innerException?.Message}", innerException)
    {
        Callback = callback;
    }

    /// <summary>Creates the exception with a message.</summary>
    public TlsCallbackException(string message)
        : base(message)
    {
        Callback = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsCallbackException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Callback = string.Empty;
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsCallbackException()
        : this("a callback threw")
    {
    }

    /// <summary>Which callback threw, e.g. <c>SNI profile selector</c> or <c>output buffer writer</c>.</summary>
    public string Callback { get; }
}
