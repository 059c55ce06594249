namespace OpenSslTls.Errors;

/// <summary>
/// A global engine or random-generator setting (<c>engine</c>, <c>engine_config</c>, <c>engine_algorithms</c>,
/// <c>rand_engine</c>) could not be applied. Names the parameter and its value, with OpenSSL's errors when OpenSSL
/// reported the failure (<see cref="Exception.InnerException"/> is then the <see cref="OpenSslException"/>). Never
/// carries a PIN or password: values of secret controls and key passwords are masked before the message is built.
/// </summary>
public sealed class TlsEngineException : TlsException
{
    /// <summary>
    /// Creates the exception for <paramref name="parameter"/>, e.g. <c>engine_algorithms</c>; <paramref name="openSslError"/>
    /// is what OpenSSL reported, or null when the failure is not OpenSSL's.
    /// </summary>
    public TlsEngineException(string parameter, string problem, OpenSslException? openSslError = null)
        : base(OpenSslException.FormatMessage($"{parameter}: {problem}", openSslError?.Errors ?? []), openSslError)
    {
        Parameter = parameter;
        Errors = openSslError?.Errors ?? [];
    }

    /// <summary>Creates the exception with a message only.</summary>
    public TlsEngineException(string message)
        : base(message)
    {
        Parameter = string.Empty;
        Errors = [];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsEngineException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Parameter = string.Empty;
        Errors = (innerException as OpenSslException)?.Errors ?? [];
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsEngineException()
        : this("engine setting could not be applied")
    {
    }

    /// <summary>The Kamailio parameter at fault: <c>engine</c>, <c>engine_config</c>, <c>engine_algorithms</c> or <c>rand_engine</c>.</summary>
    public string Parameter { get; }

    /// <summary>OpenSSL's queued errors for the failure, oldest first; empty when the failure is not OpenSSL's.</summary>
    public IReadOnlyList<OpenSslError> Errors { get; }
}
