namespace OpenSslTls.Interop;

/// <summary>Decides whether a peer certificate is accepted (implemented one layer up around the caller's callback).</summary>
internal interface IPeerCertificateValidator
{
    /// <summary>
    /// True accepts the certificate whatever OpenSSL's verdict; false refuses it; null leaves OpenSSL's verdict
    /// standing (no callback applies, e.g. after an SNI switch to a profile without one). May throw (refuses).
    /// </summary>
    bool? Validate(PeerCertificateVerdict verdict);
}

/// <summary>
/// What the validator is shown: OpenSSL's verdict (chain and, on a client, name) on the peer's certificate, where in
/// the chain the error is, the chain as built (PEM, leaf first), and whether a server is checking its client.
/// </summary>
internal sealed record PeerCertificateVerdict(
    NativeCertificateFacts Certificate,
    bool Verified,
    long VerifyResult,
    string VerifyResultText,
    string? ExpectedName,
    bool IsServer,
    int ErrorDepth,
    IReadOnlyList<string> Chain);
