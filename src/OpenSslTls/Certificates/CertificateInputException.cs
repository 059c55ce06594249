using OpenSslTls.Errors;

namespace OpenSslTls.Certificates;

/// <summary>
/// Certificate or key bytes that cannot be used: <see cref="Exception.Message"/> is the problem, worded to follow the
/// input's name; the caller rethrows it with the place (profile and parameter, or factory argument). Never public.
/// </summary>
internal sealed class CertificateInputException : Exception
{
    internal CertificateInputException(string problem, OpenSslException? openSslError = null)
        : base(problem, openSslError)
    {
        OpenSslError = openSslError;
    }

    /// <summary>What OpenSSL reported, or null.</summary>
    internal OpenSslException? OpenSslError { get; }
}
