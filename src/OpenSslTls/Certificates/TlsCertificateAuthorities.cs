using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenSslTls.Interop;

namespace OpenSslTls.Certificates;

/// <summary>
/// CA certificates a profile trusts when it verifies its peer, beside the <c>ca_list</c> and <c>ca_path</c> settings:
/// a file (PEM bundle or one DER certificate, recognised by content), a hashed directory, PEM or DER bytes, or an
/// <see cref="X509Certificate2Collection"/>. Give it to a profile as <c>TlsProfileSettings.CertificateAuthorities</c>; it
/// adds to <c>ca_list</c>/<c>ca_path</c> when those are set too. As with <c>ca_list</c>, the subjects of the listed
/// certificates (not of a directory's) are the CA names a server sends in its certificate request.
/// </summary>
/// <remarks>
/// Files and directories are read each time a profile is built (a reload picks up a renewed bundle); bytes and
/// collections are decoded at once into OpenSSL objects, and bad input fails there with a
/// <see cref="CryptographicException"/> naming the argument. Profiles hold their own references, so disposing the
/// source never breaks a running profile, but keep it undisposed while settings that name it may still be built.
/// </remarks>
public sealed class TlsCertificateAuthorities : IDisposable
{
    private readonly List<SafeX509Handle>? _certificates;
    private bool _disposed;

    private TlsCertificateAuthorities(string description, List<SafeX509Handle>? certificates, string? file, string? directory)
    {
        Description = description;
        _certificates = certificates;
        File = file;
        Directory = directory;
    }

    /// <summary>What the source is, for logs and messages.</summary>
    public string Description { get; }

    /// <summary>How many certificates the source holds; null for files and directories, read only when a profile is built.</summary>
    public int? Count => _certificates?.Count;

    /// <summary>The file of a file source, else null.</summary>
    internal string? File { get; }

    /// <summary>The directory of a directory source, else null.</summary>
    internal string? Directory { get; }

    /// <summary>A file of CA certificates: a PEM bundle (certificates and CRLs, as <c>ca_list</c>) or one DER certificate, recognised by content.</summary>
    public static TlsCertificateAuthorities FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new TlsCertificateAuthorities($"file '{path}'", null, path, null);
    }

    /// <summary>A directory of CA certificates named by subject hash (<c>openssl rehash</c>), looked up during verification, as <c>ca_path</c>.</summary>
    public static TlsCertificateAuthorities FromDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new TlsCertificateAuthorities($"directory '{path}'", null, null, path);
    }

    /// <summary>PEM text holding one or more CA certificates.</summary>
    /// <exception cref="CryptographicException">No certificate, or a damaged certificate block.</exception>
    public static TlsCertificateAuthorities FromPem(ReadOnlySpan<byte> pem)
    {
        if (CertificateInput.Detect(pem) != CertificateEncoding.Pem)
        {
            throw new CryptographicException($"{nameof(pem)} is not PEM (no '-----BEGIN' line); a DER certificate goes to FromDer");
        }

        List<SafeX509Handle> certificates;
        try
        {
            certificates = CertificateMaterialReader.ReadPemCertificates(pem);
        }
        catch (Errors.OpenSslException e)
        {
            throw new CryptographicException($"{nameof(pem)} holds a damaged PEM certificate block", e);
        }

        if (certificates.Count == 0)
        {
            throw new CryptographicException($"{nameof(pem)} holds no certificate (no '-----BEGIN CERTIFICATE-----' block)");
        }

        return new TlsCertificateAuthorities(Describe("PEM", certificates), certificates, null, null);
    }

    /// <summary>One DER CA certificate.</summary>
    /// <exception cref="CryptographicException">The bytes are not a DER certificate.</exception>
    public static TlsCertificateAuthorities FromDer(ReadOnlySpan<byte> der)
    {
        SafeX509Handle certificate = (CertificateInput.Detect(der) == CertificateEncoding.Der ? CertificateMaterialReader.ReadDerCertificate(der) : null)
            ?? throw new CryptographicException($"{nameof(der)} is not a DER X.509 certificate");
        return new TlsCertificateAuthorities(Describe("DER", [certificate]), [certificate], null, null);
    }

    /// <summary>The certificates of <paramref name="certificates"/> (copied; the collection may be disposed afterwards).</summary>
    /// <exception cref="ArgumentException">The collection is empty.</exception>
    public static TlsCertificateAuthorities FromCertificates(X509Certificate2Collection certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        if (certificates.Count == 0)
        {
            throw new ArgumentException("the collection holds no certificate", nameof(certificates));
        }

        var handles = new List<SafeX509Handle>(certificates.Count);
        foreach (X509Certificate2 certificate in certificates)
        {
            SafeX509Handle? handle = CertificateMaterialReader.ReadDerCertificate(certificate.RawDataMemory.Span);
            if (handle is null)
            {
                handles.ForEach(h => h.Dispose());
                throw new CryptographicException($"{nameof(certificates)}: OpenSSL cannot read the certificate '{certificate.Subject}'");
            }

            handles.Add(handle);
        }

        return new TlsCertificateAuthorities(Describe("X509Certificate2Collection", handles), handles, null, null);
    }

    /// <summary>Frees the decoded certificates (profiles already built keep their own references).</summary>
    public void Dispose()
    {
        _disposed = true;
        _certificates?.ForEach(certificate => certificate.Dispose());
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>The decoded certificates of a bytes or collection source, or null for a file or directory; throws when disposed.</summary>
    internal IReadOnlyList<SafeX509Handle>? Certificates
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _certificates;
        }
    }

    private static string Describe(string kind, List<SafeX509Handle> certificates) => certificates.Count == 1
        ? $"{kind} CA '{CertificateMaterialReader.SubjectOf(certificates[0])}'"
        : $"{kind} CAs '{CertificateMaterialReader.SubjectOf(certificates[0])}' and {certificates.Count - 1} more";
}
