using OpenSslTls.Certificates;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// Runs a caller's <see cref="TlsCertificateValidationCallback"/> for the interop layer's verify callback: the
/// connection's own callback when it was given one, else the one of the profile the connection uses at that moment
/// (a server's SNI choice may have switched it), else none (OpenSSL's verdict stands). References profiles and the
/// SNI choice, never the connection.
/// </summary>
internal sealed class CertificateValidator(TlsCertificateValidationCallback? connectionCallback, TlsProfile initial, ServerNameChoice? choice)
    : IPeerCertificateValidator
{
    /// <summary>Whether a callback would run if the connection verified now (its own, or its current profile's).</summary>
    internal bool HasCallback => Callback is not null;

    private TlsCertificateValidationCallback? Callback => connectionCallback ?? (choice?.Selected ?? initial).Settings.CertificateValidation;

    public bool? Validate(PeerCertificateVerdict verdict) => Callback is { } callback
        ? callback(new TlsCertificateValidation(
            TlsCertificateInfo.FromFacts(verdict.Certificate),
            verdict.Verified,
            verdict.VerifyResult,
            verdict.VerifyResultText,
            verdict.ExpectedName,
            verdict.IsServer,
            verdict.ErrorDepth,
            verdict.Chain))
        : null;
}
