using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenSslTls.Reliability;

/// <summary>
/// A throwaway PKI made in-process with System.Security.Cryptography (no openssl CLI): a root CA, a server leaf for
/// <c>localhost</c>, a client leaf issued by the root, and a client leaf issued by an unrelated CA (a "bad" client
/// certificate). All EC P-256, written as PEM files (unencrypted PKCS#8 keys) in a fresh temporary directory that
/// <see cref="Dispose"/> deletes.
/// </summary>
internal sealed class GeneratedPki : IDisposable
{
    public const string ServerName = "localhost";

    private GeneratedPki(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public string RootCertificate => Path.Combine(Directory, "root.pem");

    public string ServerCertificate => Path.Combine(Directory, "server.pem");

    public string ServerKey => Path.Combine(Directory, "server.key");

    public string ClientCertificate => Path.Combine(Directory, "client.pem");

    public string ClientKey => Path.Combine(Directory, "client.key");

    public string UntrustedClientCertificate => Path.Combine(Directory, "untrusted-client.pem");

    public string UntrustedClientKey => Path.Combine(Directory, "untrusted-client.key");

    public static GeneratedPki Create()
    {
        var pki = new GeneratedPki(System.IO.Directory.CreateTempSubdirectory("OpenSslTls-Reliability-").FullName);
        try
        {
            DateTimeOffset from = DateTimeOffset.UtcNow.AddDays(-1);
            DateTimeOffset to = DateTimeOffset.UtcNow.AddYears(1);
            using ECDsa rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using X509Certificate2 root = CreateCa("CN=OpenSslTls Reliability Root", rootKey, from, to);
            File.WriteAllText(pki.RootCertificate, root.ExportCertificatePem());
            using ECDsa otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using X509Certificate2 other = CreateCa("CN=OpenSslTls Reliability Untrusted CA", otherKey, from, to);

            Issue(root, "CN=" + ServerName, server: true, from, to, pki.ServerCertificate, pki.ServerKey, 1);
            Issue(root, "CN=alice", server: false, from, to, pki.ClientCertificate, pki.ClientKey, 2);
            Issue(other, "CN=alice", server: false, from, to, pki.UntrustedClientCertificate, pki.UntrustedClientKey, 3);
            return pki;
        }
        catch
        {
            pki.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static X509Certificate2 CreateCa(string subject, ECDsa key, DateTimeOffset from, DateTimeOffset to)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(from, to);
    }

    private static void Issue(X509Certificate2 issuer, string subject, bool server, DateTimeOffset from, DateTimeOffset to, string certificatePath, string keyPath, byte serial)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(ServerName);
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using X509Certificate2 certificate = request.Create(issuer, from, to, [serial, 0x5A, 0x17]);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }
}
