using OpenSslTls.Certificates;
using OpenSslTls.Interop;

namespace OpenSslTls.Connections;

/// <summary>Runs a caller's <see cref="TlsCertificateValidationCallback"/> for the interop layer's verify callback.</summary>
internal sealed class CertificateValidator(TlsCertificateValidationCallback callback) : IPeerCertificateValidator
{
    public bool Validate(PeerCertificateVerdict verdict) => callback(new TlsCertificateValidation(
        TlsCertificateInfo.FromFacts(verdict.Certificate), verdict.Verified, verdict.VerifyResult, verdict.VerifyResultText, verdict.ExpectedName));
}
