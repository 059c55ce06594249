using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using OpenSslTls.Benchmarks.Infrastructure;

namespace OpenSslTls.Benchmarks.SslStreams;

/// <summary>
/// SslStream options equivalent to the OpenSslTls profiles of a scenario: the same pinned protocol version and TLS 1.3
/// suite, the server presenting the leaf alone through an <see cref="SslStreamCertificateContext"/>, the client
/// verifying it against the bench root only (custom trust, no revocation lookups). TLS resume is allowed exactly in the
/// resumption scenarios, as session_cache is on only there for OpenSslTls.
/// </summary>
internal sealed class SslStreamSetup : IDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2 _root;

    public SslStreamSetup(BenchPki pki, Scenario scenario)
    {
        using (X509Certificate2 pem = X509Certificate2.CreateFromPemFile(pki.Certificate(scenario.Key), pki.PrivateKey(scenario.Key)))
        {
            // Round-trip through PKCS#12 so the key is a persisted OpenSSL key like any server's certificate store gives.
            _certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        _root = X509CertificateLoader.LoadCertificateFromFile(pki.RootCertificate);
        bool resume = scenario.Kind == ScenarioKind.Resume;
        SslProtocols protocol = scenario.Version == TlsVersion.Tls13 ? SslProtocols.Tls13 : SslProtocols.Tls12;
        CipherSuitesPolicy? suites = scenario.Kind == ScenarioKind.Record
            ? new CipherSuitesPolicy([scenario.Cipher == RecordCipher.Aes128Gcm ? TlsCipherSuite.TLS_AES_128_GCM_SHA256 : TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256])
            : null;

        Server = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(_certificate, [], offline: true),
            EnabledSslProtocols = protocol,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowTlsResume = resume,
            CipherSuitesPolicy = suites,
        };

        var chainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        chainPolicy.CustomTrustStore.Add(_root);
        Client = new SslClientAuthenticationOptions
        {
            TargetHost = BenchPki.ServerName,
            EnabledSslProtocols = protocol,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = chainPolicy,
            AllowTlsResume = resume,
            CipherSuitesPolicy = suites,
        };
        FullHandshakeClient = new SslClientAuthenticationOptions
        {
            TargetHost = Client.TargetHost,
            EnabledSslProtocols = protocol,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = chainPolicy,
            AllowTlsResume = false,
            CipherSuitesPolicy = suites,
        };
    }

    public SslServerAuthenticationOptions Server { get; }

    public SslClientAuthenticationOptions Client { get; }

    /// <summary><see cref="Client"/> without TLS resume: a reference full handshake, whatever sessions the process has cached.</summary>
    public SslClientAuthenticationOptions FullHandshakeClient { get; }

    public void Dispose()
    {
        _certificate.Dispose();
        _root.Dispose();
    }
}
