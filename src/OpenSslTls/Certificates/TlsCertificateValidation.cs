using System.Security.Cryptography.X509Certificates;

namespace OpenSslTls.Certificates;

/// <summary>
/// What a <see cref="TlsCertificateValidationCallback"/> is shown: the peer's certificate (the server's, on a client;
/// the client's, on a server that asks for one) and OpenSSL's verdict on it.
/// </summary>
public sealed class TlsCertificateValidation
{
    internal TlsCertificateValidation(
        TlsCertificateInfo certificate,
        bool verified,
        long verifyResult,
        string verifyResultText,
        string? expectedName,
        bool isClientCertificate = false,
        int errorDepth = 0,
        IReadOnlyList<string>? chain = null)
    {
        Certificate = certificate;
        Verified = verified;
        VerifyResult = verifyResult;
        VerifyResultText = verifyResultText;
        ExpectedName = expectedName;
        IsClientCertificate = isClientCertificate;
        ErrorDepth = errorDepth;
        Chain = chain ?? [];
    }

    /// <summary>The peer's (leaf) certificate.</summary>
    public TlsCertificateInfo Certificate { get; }

    /// <summary>The certificate in PEM.</summary>
    public string Pem => Certificate.Pem;

    /// <summary>
    /// OpenSSL's verdict: the chain leads to a trusted CA within the profile's rules (depth, CRLs) and, when
    /// <see cref="ExpectedName"/> is set, the certificate names it.
    /// </summary>
    public bool Verified { get; }

    /// <summary>The <c>X509_V_*</c> code of the verdict: 0 (<c>X509_V_OK</c>) when <see cref="Verified"/>, e.g. 62 for a name mismatch.</summary>
    public long VerifyResult { get; }

    /// <summary>OpenSSL's text for <see cref="VerifyResult"/>.</summary>
    public string VerifyResultText { get; }

    /// <summary>
    /// Where in <see cref="Chain"/> the certificate <see cref="VerifyResult"/> is about sits: 0 for the peer's own
    /// certificate, 1 for its issuer, and so on; 0 when <see cref="Verified"/>.
    /// </summary>
    public int ErrorDepth { get; }

    /// <summary>The host name or IP address the certificate was checked against; null when no name was checked (always on a server).</summary>
    public string? ExpectedName { get; }

    /// <summary>True on a server checking its client's certificate; false on a client checking the server's.</summary>
    public bool IsClientCertificate { get; }

    /// <summary>
    /// The chain as OpenSSL built it, leaf first, in PEM: up to the trusted CA when <see cref="Verified"/>, otherwise as
    /// far as it got (at least the leaf).
    /// </summary>
    public IReadOnlyList<string> Chain { get; }

    /// <summary>A new <see cref="X509Certificate2"/> of <see cref="Certificate"/> (the caller disposes it).</summary>
    public X509Certificate2 CreateX509Certificate2() => X509Certificate2.CreateFromPem(Pem);
}
