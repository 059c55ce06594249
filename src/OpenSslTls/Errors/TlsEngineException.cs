namespace OpenSslTls.Errors;

/// <summary>
/// A global engine or random-generator setting (<c>engine</c>, <c>engine_config</c>, <c>engine_algorithms</c>,
/// <c>rand_engine</c>) could not be applied. Names the parameter and its value, with OpenSSL's errors. Never carries
/// a PIN or password: values of secret controls and key passwords are masked before the message is built.
/// </summary>
public sealed class TlsEngineException : OpenSslException
{
    /// <summary>Creates the exception for <paramref name="parameter"/>, e.g. <c>engine_algorithms</c>.</summary>
    public TlsEngineException(string parameter, string problem, IReadOnlyList<OpenSslError> errors)
        : base($"{parameter}: {problem}", errors)
    {
        Parameter = parameter;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public TlsEngineException(string message)
        : base(message)
    {
        Parameter = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsEngineException(string message, Exception innerException)
        : base(message, innerException)
    {
        Parameter = string.Empty;
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsEngineException()
        : this("engine setting could not be applied")
    {
    }

    /// <summary>The Kamailio parameter at fault: <c>engine</c>, <c>engine_config</c>, <c>engine_algorithms</c> or <c>rand_engine</c>.</summary>
    public string Parameter { get; }
}
