namespace OpenSslTls.Interop;

/// <summary>Decides whether a server certificate is accepted (implemented one layer up around the caller's callback).</summary>
internal interface IPeerCertificateValidator
{
    /// <summary>True accepts the certificate whatever OpenSSL's verdict; false refuses it. May throw (refuses).</summary>
    bool Validate(PeerCertificateVerdict verdict);
}

/// <summary>What the validator of a client connection is shown: OpenSSL's verdict (chain and name) on the server's certificate.</summary>
internal sealed record PeerCertificateVerdict(NativeCertificateFacts Certificate, bool Verified, long VerifyResult, string VerifyResultText, string? ExpectedName);
