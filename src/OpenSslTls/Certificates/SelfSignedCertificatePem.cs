using System.Text;

namespace OpenSslTls.Certificates;

/// <summary>
/// A certificate and its private key as <see cref="SelfSignedCertificateBuilder.Create"/> made them, in PEM. The key is
/// unencrypted: keep it out of logs (<see cref="ToString"/> never shows it) and write it with <see cref="WriteFiles"/>,
/// which makes it readable by its owner only.
/// </summary>
public sealed class SelfSignedCertificatePem
{
    internal SelfSignedCertificatePem(string certificatePem, string privateKeyPem, TlsCertificateInfo certificate)
    {
        CertificatePem = certificatePem;
        PrivateKeyPem = privateKeyPem;
        Certificate = certificate;
    }

    /// <summary>The certificate (<c>-----BEGIN CERTIFICATE-----</c>), usable as <c>certificate</c> and, by peers, as <c>ca_list</c>.</summary>
    public string CertificatePem { get; }

    /// <summary>The private key, unencrypted PKCS#8 (<c>-----BEGIN PRIVATE KEY-----</c>), usable as <c>private_key</c>.</summary>
    public string PrivateKeyPem { get; }

    /// <summary>What the certificate says: subject, serial, validity, subject alternative names.</summary>
    public TlsCertificateInfo Certificate { get; }

    /// <summary>
    /// Writes the key to <paramref name="privateKeyPath"/> and the certificate to <paramref name="certificatePath"/>,
    /// key first, each atomically: into a temporary file in the same directory, flushed to disk, then renamed over the
    /// target, so a reader never sees a partial file and a certificate on disk always has its key beside it. On Unix
    /// both files are created owner-only (0600) from the start, so the key is never readable by others, not even
    /// briefly (the certificate is not secret: widen its mode if other users must read it). The same path for both
    /// writes one file with the key followed by the certificate (Kamailio's default <c>cert.pem</c> layout). The
    /// directories must exist; existing files are replaced.
    /// </summary>
    public void WriteFiles(string certificatePath, string privateKeyPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificatePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(privateKeyPath);
        string certificate = Path.GetFullPath(certificatePath);
        string key = Path.GetFullPath(privateKeyPath);
        if (string.Equals(certificate, key, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            AtomicFile.WriteOwnerOnly(key, Encoding.ASCII.GetBytes(PrivateKeyPem + CertificatePem));
            return;
        }

        AtomicFile.WriteOwnerOnly(key, Encoding.ASCII.GetBytes(PrivateKeyPem));
        AtomicFile.WriteOwnerOnly(certificate, Encoding.ASCII.GetBytes(CertificatePem));
    }

    /// <summary>The subject, serial and validity; never the key.</summary>
    public override string ToString() =>
        $"self-signed certificate {Certificate.Subject.Line}, serial {Certificate.SerialNumber}, valid {Certificate.NotBeforeText} to {Certificate.NotAfterText}";
}
