using System.Security.Cryptography.X509Certificates;

namespace OpenSslTls.Certificates;

/// <summary>What a <see cref="TlsCertificateValidationCallback"/> is shown: the server's certificate and OpenSSL's verdict on it.</summary>
public sealed class TlsCertificateValidation
{
    internal TlsCertificateValidation(TlsCertificateInfo certificate, bool verified, long verifyResult, string verifyResultText, string? expectedName)
    {
        Certificate = certificate;
        Verified = verified;
        VerifyResult = verifyResult;
        VerifyResultText = verifyResultText;
        ExpectedName = expectedName;
    }

    /// <summary>The server's (leaf) certificate.</summary>
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

    /// <summary>The host name or IP address the certificate was checked against; null when no name was checked.</summary>
    public string? ExpectedName { get; }

    /// <summary>A new <see cref="X509Certificate2"/> of <see cref="Certificate"/> (the caller disposes it).</summary>
    public X509Certificate2 CreateX509Certificate2() => X509Certificate2.CreateFromPem(Pem);
}
