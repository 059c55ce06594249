namespace OpenSslTls.Errors;

/// <summary>A profile could not be built: names the profile, the parameter and its value, with OpenSSL's errors.</summary>
public sealed class TlsProfileException : OpenSslException
{
    /// <summary>Creates the exception for <paramref name="parameter"/> of <paramref name="profile"/>.</summary>
    public TlsProfileException(string profile, string parameter, string problem, IReadOnlyList<OpenSslError> errors)
        : base($"profile {profile}: {parameter}: {problem}", errors)
    {
        Profile = profile;
        Parameter = parameter;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public TlsProfileException(string message)
        : base(message)
    {
        Profile = string.Empty;
        Parameter = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsProfileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Profile = string.Empty;
        Parameter = string.Empty;
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsProfileException()
        : this("TLS profile could not be built")
    {
    }

    /// <summary>The profile's label, e.g. <c>server:default</c>.</summary>
    public string Profile { get; }

    /// <summary>The Kamailio parameter at fault, e.g. <c>cipher_list</c>.</summary>
    public string Parameter { get; }
}
