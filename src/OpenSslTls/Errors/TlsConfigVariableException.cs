namespace OpenSslTls.Errors;

/// <summary>
/// A runtime configuration variable could not be read or set (Kamailio answers these with fault 400 "Failed to set
/// the variable" and logs the reason; here the reason is the message). Nothing was changed.
/// </summary>
public sealed class TlsConfigVariableException : TlsException
{
    /// <summary>Creates the exception for <paramref name="variable"/> (<c>group.name</c>).</summary>
    public TlsConfigVariableException(string variable, TlsConfigVariableError error, string message)
        : base(message)
    {
        Variable = variable;
        Error = error;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public TlsConfigVariableException(string message)
        : base(message)
    {
        Variable = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsConfigVariableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Variable = string.Empty;
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsConfigVariableException()
        : this("the configuration variable could not be set")
    {
    }

    /// <summary>The variable, as <c>group.name</c> (e.g. <c>tls.connection_timeout</c>); empty when not known.</summary>
    public string Variable { get; }

    /// <summary>What was wrong.</summary>
    public TlsConfigVariableError Error { get; }
}
