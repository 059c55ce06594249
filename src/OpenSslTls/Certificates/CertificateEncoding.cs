namespace OpenSslTls.Certificates;

/// <summary>How certificate or key bytes are encoded, as <see cref="CertificateInput.Detect"/> tells from their content.</summary>
internal enum CertificateEncoding
{
    /// <summary>Neither PEM nor DER.</summary>
    Unknown,

    /// <summary>PEM text: one or more <c>-----BEGIN …-----</c> blocks.</summary>
    Pem,

    /// <summary>Binary DER: one ASN.1 SEQUENCE (a certificate, a key or a PKCS#12 bundle).</summary>
    Der,
}
