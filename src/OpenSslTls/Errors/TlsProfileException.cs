namespace OpenSslTls.Errors;

/// <summary>
/// A profile could not be built: names the profile, the parameter and its value, with OpenSSL's errors when OpenSSL
/// reported the failure (<see cref="Exception.InnerException"/> is then the <see cref="OpenSslException"/>).
/// </summary>
public sealed class TlsProfileException : TlsException
{
    /// <summary>
    /// Creates the exception for <paramref name="parameter"/> of <paramref name="profile"/>; <paramref name="openSslError"/>
    /// is what OpenSSL reported, or null when the failure is not OpenSSL's.
    /// </summary>
    public TlsProfileException(string profile, string parameter, string problem, OpenSslException? openSslError = null)
        : base(OpenSslException.FormatMessage($"profile {profile}: {parameter}: {problem}", openSslError?.Errors ?? []), openSslError)
    {
        Profile = profile;
        Parameter = parameter;
        Errors = openSslError?.Errors ?? [];
    }

    /// <summary>Creates the exception with a message only.</summary>
    public TlsProfileException(string message)
        : base(message)
    {
        Profile = string.Empty;
        Parameter = string.Empty;
        Errors = [];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsProfileException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Profile = string.Empty;
        Parameter = string.Empty;
        Errors = (innerException as OpenSslException)?.Errors ?? [];
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

    /// <summary>OpenSSL's queued errors for the failure, oldest first; empty when the failure is not OpenSSL's.</summary>
    public IReadOnlyList<OpenSslError> Errors { get; }
}
