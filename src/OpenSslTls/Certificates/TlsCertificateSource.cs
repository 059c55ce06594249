using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenSslTls.Interop;

namespace OpenSslTls.Certificates;

/// <summary>
/// Where a profile's certificate (with its chain, and usually its private key) comes from, beside the
/// <c>certificate</c>/<c>private_key</c> file paths: files in any encoding, PEM or DER bytes, a PKCS#12 bundle, or an
/// <see cref="X509Certificate2"/> with its private key. Give it to a profile as <c>TlsProfileSettings.CertificateSource</c>
/// (or <c>Certificate2Source</c>).
/// </summary>
/// <remarks>
/// <para>
/// Files (<see cref="FromFile"/>, <see cref="FromPkcs12File"/>) are read each time a profile is built, so a reload picks up
/// a renewed certificate. Bytes and <see cref="X509Certificate2"/>s are decoded at once, by the factory, into OpenSSL's own
/// memory: the factory's temporary copies of key material (an exported PKCS#8 key, a password's UTF-8 bytes) live in
/// pinned buffers that are zeroed before it returns, and bad input fails there with a <see cref="CryptographicException"/>
/// that names the argument and the problem. The source keeps no reference to the caller's arrays or certificates.
/// </para>
/// <para>
/// Profiles built from a source hold their own references to its certificate and key, so disposing the source never
/// breaks a running profile; but a profile set rebuilds its profiles on reload, so keep the source undisposed while
/// settings that name it may still be built. Neither <see cref="ToString"/> nor <see cref="Description"/> ever shows a
/// password or key material.
/// </para>
/// </remarks>
public sealed class TlsCertificateSource : IDisposable
{
    private readonly CertificateMaterial? _material;
    private bool _disposed;

    private TlsCertificateSource(string description, CertificateMaterial? material, string? certificatePath, string? privateKeyPath, string? password, bool declaredPkcs12)
    {
        Description = description;
        _material = material;
        CertificatePath = certificatePath;
        PrivateKeyPath = privateKeyPath;
        Password = password;
        DeclaredPkcs12 = declaredPkcs12;
    }

    /// <summary>What the source is, for logs and messages: its kind, file or certificate subject; never a secret.</summary>
    public string Description { get; }

    /// <summary>
    /// Whether the source carries its private key: true for bytes or certificates decoded with a key; false without one;
    /// null for files, which are read only when a profile is built.
    /// </summary>
    public bool? HasPrivateKey => _material is null ? null : _material.Key is not null;

    /// <summary>The certificate file of a file source, else null.</summary>
    internal string? CertificatePath { get; }

    /// <summary>The key file of a file source (null: the key comes from the certificate file, e.g. a PKCS#12 bundle).</summary>
    internal string? PrivateKeyPath { get; }

    /// <summary>The password of a file source's key or bundle.</summary>
    internal string? Password { get; }

    /// <summary>A file source that must be PKCS#12 (<see cref="FromPkcs12File"/>).</summary>
    internal bool DeclaredPkcs12 { get; }

    /// <summary>
    /// A certificate file and, optionally, its key file, each PEM, DER or PKCS#12 (<c>.p12</c>/<c>.pfx</c>), recognised by
    /// content: PEM holds the certificate followed by its chain; DER one certificate; PKCS#12 the certificate, chain and
    /// key (then <paramref name="privateKeyPath"/> may be null). <paramref name="password"/> decrypts an encrypted key or
    /// the bundle. Read when a profile is built: the same as the <c>certificate</c>, <c>private_key</c> and
    /// <c>private_key_password</c> settings.
    /// </summary>
    public static TlsCertificateSource FromFile(string certificatePath, string? privateKeyPath = null, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        return new TlsCertificateSource($"file '{certificatePath}'", null, certificatePath, privateKeyPath, password, declaredPkcs12: false);
    }

    /// <summary>
    /// A PKCS#12 (<c>.p12</c>/<c>.pfx</c>) file holding the certificate, its chain and its key, read when a profile is
    /// built. Unlike <see cref="FromFile"/>, the file must be PKCS#12, so a failure says what is wrong with the bundle.
    /// </summary>
    public static TlsCertificateSource FromPkcs12File(string path, string? password)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new TlsCertificateSource($"PKCS#12 file '{path}'", null, path, null, password, declaredPkcs12: true);
    }

    /// <summary>
    /// PEM text: the certificate followed by its chain in <paramref name="certificatePem"/>, the key in
    /// <paramref name="privateKeyPem"/> (PKCS#8, PKCS#1 or SEC1, encrypted with <paramref name="password"/> or not). When
    /// <paramref name="privateKeyPem"/> is empty, a key block inside <paramref name="certificatePem"/> is used, if any.
    /// </summary>
    /// <exception cref="CryptographicException">No certificate, an unreadable key, a wrong password, or a key that does not match the certificate.</exception>
    public static TlsCertificateSource FromPem(ReadOnlySpan<byte> certificatePem, ReadOnlySpan<byte> privateKeyPem = default, string? password = null)
    {
        if (CertificateInput.Detect(certificatePem) != CertificateEncoding.Pem)
        {
            throw new CryptographicException($"{nameof(certificatePem)} is not PEM (no '-----BEGIN' line); DER bytes go to FromDer, PKCS#12 to FromPkcs12");
        }

        CertificateMaterial material;
        try
        {
            material = CertificateInput.ReadCertificate(certificatePem, null, declaredPkcs12: false);
        }
        catch (CertificateInputException e)
        {
            throw Rethrow(e, nameof(certificatePem));
        }

        ReadOnlySpan<byte> keyPem = privateKeyPem.IsEmpty && CertificateInput.HasPemPrivateKey(certificatePem) ? certificatePem : privateKeyPem;
        string keyArgument = privateKeyPem.IsEmpty ? nameof(certificatePem) : nameof(privateKeyPem);
        if (!keyPem.IsEmpty && CertificateInput.Detect(keyPem) != CertificateEncoding.Pem)
        {
            material.Dispose();
            throw new CryptographicException($"{keyArgument} is not PEM (no '-----BEGIN' line); a DER key goes to FromDer");
        }

        return WithKey("PEM", material, keyPem, password, keyArgument);
    }

    /// <summary>
    /// One DER certificate in <paramref name="certificateDer"/> and, optionally, its DER key in
    /// <paramref name="privateKeyDer"/> (PKCS#8, encrypted PKCS#8 with <paramref name="password"/>, PKCS#1 or SEC1). DER
    /// carries no chain: put the intermediates in the PEM form or a PKCS#12 bundle.
    /// </summary>
    /// <exception cref="CryptographicException">Not a DER certificate, an unreadable key, a wrong password, or a key that does not match the certificate.</exception>
    public static TlsCertificateSource FromDer(ReadOnlySpan<byte> certificateDer, ReadOnlySpan<byte> privateKeyDer = default, string? password = null)
    {
        SafeX509Handle? certificate = CertificateInput.Detect(certificateDer) == CertificateEncoding.Der
            ? CertificateMaterialReader.ReadDerCertificate(certificateDer)
            : null;
        if (certificate is null)
        {
            throw new CryptographicException($"{nameof(certificateDer)} is not a DER X.509 certificate" +
                (CertificateInput.Detect(certificateDer) == CertificateEncoding.Pem ? " (it is PEM text: use FromPem)" : " (a PKCS#12 bundle goes to FromPkcs12)"));
        }

        if (!privateKeyDer.IsEmpty && CertificateInput.Detect(privateKeyDer) != CertificateEncoding.Der)
        {
            certificate.Dispose();
            throw new CryptographicException($"{nameof(privateKeyDer)} is not DER (binary ASN.1); a PEM key goes to FromPem");
        }

        return WithKey("DER", new CertificateMaterial(certificate, [], key: null), privateKeyDer, password, nameof(privateKeyDer));
    }

    /// <summary>A PKCS#12 (<c>.p12</c>/<c>.pfx</c>) bundle: the certificate, its chain and its key, protected by <paramref name="password"/> (null or empty: none).</summary>
    /// <exception cref="CryptographicException">Not PKCS#12, no or a wrong password, undecodable contents, or no certificate.</exception>
    public static TlsCertificateSource FromPkcs12(ReadOnlySpan<byte> pkcs12, string? password)
    {
        // Copied to a pinned buffer only for PKCS12_parse's sake: a span cannot be captured, and the bytes are encrypted.
        using PinnedSecret copy = PinnedSecret.CopyOf(pkcs12);
        CertificateMaterial material;
        try
        {
            material = CertificateInput.ReadCertificate(copy.Span, password, declaredPkcs12: true);
        }
        catch (CertificateInputException e)
        {
            throw Rethrow(e, nameof(pkcs12));
        }

        return new TlsCertificateSource(Describe("PKCS#12", material), material, null, null, null, declaredPkcs12: true);
    }

    /// <summary>
    /// An <see cref="X509Certificate2"/> and its private key (RSA, ECDSA or DSA: the key types .NET exports; a certificate
    /// without a key needs the profile's <c>private_key</c>, e.g. a key held by an engine), plus the intermediates in
    /// <paramref name="chain"/>, leaf's issuer first (the leaf itself and root certificates in it are not sent). The key is
    /// exported once as PKCS#8 into a pinned buffer, handed to OpenSSL and the buffer zeroed; the certificate may be
    /// disposed afterwards.
    /// </summary>
    /// <exception cref="CryptographicException">The key cannot be exported (not exportable, or a type .NET cannot export), or a chain certificate cannot be read.</exception>
    public static TlsCertificateSource FromX509Certificate2(X509Certificate2 certificate, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        SafeX509Handle leaf = ReadDer(certificate, nameof(certificate));
        var links = new List<SafeX509Handle>();
        CertificateMaterial material = new(leaf, links, key: null);
        try
        {
            foreach (X509Certificate2 link in chain ?? [])
            {
                bool isLeaf = link.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span);
                bool isRoot = link.SubjectName.RawData.AsSpan().SequenceEqual(link.IssuerName.RawData);
                if (!isLeaf && !isRoot)
                {
                    links.Add(ReadDer(link, nameof(chain)));
                }
            }

            if (certificate.HasPrivateKey)
            {
                material.SetKey(ExportKey(certificate));
            }
        }
        catch
        {
            material.Dispose();
            throw;
        }

        return new TlsCertificateSource(Describe("X509Certificate2", material), material, null, null, null, declaredPkcs12: false);
    }

    /// <summary>Frees the decoded certificate and key (profiles already built keep their own references).</summary>
    public void Dispose()
    {
        _disposed = true;
        _material?.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>The decoded material of a bytes or certificate source, or null for a file source; throws when disposed.</summary>
    internal CertificateMaterial? Material
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _material;
        }
    }

    private static TlsCertificateSource WithKey(string kind, CertificateMaterial material, ReadOnlySpan<byte> keyBytes, string? password, string keyArgument)
    {
        if (!keyBytes.IsEmpty)
        {
            try
            {
                SafeEvpPKeyHandle key = CertificateInput.ReadPrivateKey(keyBytes, password);
                material.SetKey(key);
                CertificateInput.EnsureKeyMatches(material, key);
            }
            catch (CertificateInputException e)
            {
                material.Dispose();
                throw Rethrow(e, keyArgument);
            }
            catch
            {
                material.Dispose();
                throw;
            }
        }

        return new TlsCertificateSource(Describe(kind, material), material, null, null, null, declaredPkcs12: false);
    }

    private static CryptographicException Rethrow(CertificateInputException e, string argument) =>
        new($"{argument} {e.Message}", e.OpenSslError);

    private static SafeX509Handle ReadDer(X509Certificate2 certificate, string argument) =>
        CertificateMaterialReader.ReadDerCertificate(certificate.RawDataMemory.Span)
        ?? throw new CryptographicException($"{argument}: OpenSSL cannot read the certificate '{certificate.Subject}'");

    /// <summary>Exports the certificate's key as PKCS#8 into a pinned buffer, decodes it with OpenSSL, and zeroes the buffer.</summary>
    private static SafeEvpPKeyHandle ExportKey(X509Certificate2 certificate)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey()
            ?? (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey()
            ?? (AsymmetricAlgorithm?)certificate.GetDSAPrivateKey()
            ?? throw new CryptographicException(
                $"certificate '{certificate.Subject}' has a private key of a type .NET cannot export (RSA, ECDSA and DSA keys can; " +
                "for Ed25519 or Ed448 use FromPkcs12 or FromPem)");
        for (int size = 4096; ; size *= 2)
        {
            using PinnedSecret buffer = PinnedSecret.Allocate(size);
            bool exported;
            int written;
            try
            {
                exported = key.TryExportPkcs8PrivateKey(buffer.Capacity, out written);
            }
            catch (CryptographicException e)
            {
                throw new CryptographicException(
                    $"the private key of certificate '{certificate.Subject}' cannot be exported ({e.Message}); load it exportable " +
                    "(X509KeyStorageFlags.Exportable) or give the key another way", e);
            }

            if (exported)
            {
                buffer.Truncate(written);
                try
                {
                    return CertificateMaterialReader.ReadPkcs8PrivateKey(buffer.Span);
                }
                catch (Errors.OpenSslException e)
                {
                    throw new CryptographicException($"OpenSSL cannot use the private key of certificate '{certificate.Subject}' ({key.SignatureAlgorithm ?? key.GetType().Name})", e);
                }
            }

            if (size >= 1 << 20)
            {
                throw new CryptographicException($"the private key of certificate '{certificate.Subject}' does not fit 1 MiB as PKCS#8");
            }
        }
    }

    private static string Describe(string kind, CertificateMaterial material)
    {
        string subject = CertificateMaterialReader.SubjectOf(material.Certificate);
        string chain = material.Chain.Count switch
        {
            0 => string.Empty,
            1 => ", 1 chain certificate",
            int n => $", {n} chain certificates",
        };
        return $"{kind} certificate '{subject}'{chain}{(material.Key is null ? ", no private key" : ", with private key")}";
    }
}
