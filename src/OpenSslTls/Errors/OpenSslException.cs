namespace OpenSslTls.Errors;

/// <summary>
/// An OpenSSL call failed. Carries every error OpenSSL had queued for the operation, oldest first, so the root
/// cause (usually the first entry) and its context (later entries) are both visible.
/// </summary>
public class OpenSslException : TlsException
{
    /// <summary>Creates an exception whose message is <paramref name="problem"/> followed by OpenSSL's queued errors.</summary>
    public OpenSslException(string problem, IReadOnlyList<OpenSslError> errors)
        : base(FormatMessage(problem, errors))
    {
        Operation = problem;
        Errors = errors;
    }

    /// <summary>Creates an exception with a message and no queued OpenSSL errors.</summary>
    public OpenSslException(string message)
        : base(message)
    {
        Operation = message;
        Errors = [];
    }

    /// <summary>Creates an exception with a message, no queued OpenSSL errors and an inner exception.</summary>
    public OpenSslException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = message;
        Errors = [];
    }

    /// <summary>Creates an exception with no details.</summary>
    public OpenSslException()
        : this("OpenSSL operation failed")
    {
    }

    /// <summary>What failed, including the names and paths involved, without OpenSSL's error texts.</summary>
    public string Operation { get; }

    /// <summary>OpenSSL's queued errors for the operation, oldest first; empty when OpenSSL queued none.</summary>
    public IReadOnlyList<OpenSslError> Errors { get; }

    /// <summary>The message form every exception carrying OpenSSL's queue uses: the problem, then the errors.</summary>
    internal static string FormatMessage(string problem, IReadOnlyList<OpenSslError> errors) =>
        errors.Count == 0 ? problem : $"{problem}: {string.Join("; ", errors)}";
}
