using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OpenSslTls.Certificates;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Certificates;

/// <summary>
/// Certificate and key inputs beside PEM paths (issue 19.1): DER and PKCS#12 files recognised by content, PEM/DER/PKCS#12
/// bytes, X509Certificate2 with its key and chain, CA lists from DER files, bytes, collections and directories. Every
/// input is proved by a real handshake; server certificates under an intermediate are verified by a client that trusts
/// only the root, so the chain must come along. Bad input fails with the problem, the place and never OpenSSL's bare
/// "no start line".
/// </summary>
public sealed class CertificateInputTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    private static CertificateMaterialFiles Files => CertificateMaterialFiles.Instance;

    private static TlsProfileSettings TrustingRoot => new() { CaList = Pki.RootCaCertificate, VerifyCertificate = true };

    /// <summary>Builds both profiles and completes a handshake (server name localhost); returns the server's certificate as the client saw it.</summary>
    private static TlsCertificateInfo Handshake(TlsProfileSettings server, TlsProfileSettings? client = null)
    {
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, server);
        return Handshake(serverProfile, client);
    }

    private static TlsCertificateInfo Handshake(TlsProfile server, TlsProfileSettings? client = null)
    {
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, client ?? TrustingRoot);
        using var pair = new TlsPair(server, clientProfile, "localhost");
        Assert.True(pair.Handshake(), $"server: {pair.Server.Failure?.Message}; client: {pair.Client.Failure?.Message}");
        return pair.Client.Info!.PeerCertificate!;
    }

    private static TlsProfileException BuildFails(TlsProfileSettings settings, string parameter)
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, settings).Dispose());
        Assert.Equal(parameter, error.Parameter);
        Assert.DoesNotContain("no start line", error.Message, StringComparison.OrdinalIgnoreCase);
        return error;
    }

    // ---- files recognised by content ----

    [Fact]
    public void A_DER_certificate_with_a_DER_key_serves()
    {
        TlsCertificateInfo peer = Handshake(new TlsProfileSettings { Certificate = Files.EcServerDer, PrivateKey = Files.EcServerKeyDer });
        Assert.Equal("localhost", peer.Subject.CommonName);
    }

    [Fact]
    public void An_encrypted_DER_key_opens_with_its_password_and_says_which_password_is_wrong_or_missing()
    {
        Handshake(new TlsProfileSettings
        {
            Certificate = Files.EcServerDer, PrivateKey = Files.EcServerKeyEncryptedDer, PrivateKeyPassword = CertificateMaterialFiles.Password,
        });

        TlsProfileException wrong = BuildFails(new TlsProfileSettings
        {
            Certificate = Files.EcServerDer, PrivateKey = Files.EcServerKeyEncryptedDer, PrivateKeyPassword = "not-it",
        }, "private_key");
        Assert.Contains($"'{Files.EcServerKeyEncryptedDer}' is an encrypted private key and the password is wrong (private_key_password)", wrong.Message);
        Assert.DoesNotContain("not-it", wrong.ToString(), StringComparison.Ordinal);

        TlsProfileException missing = BuildFails(new TlsProfileSettings { Certificate = Files.EcServerDer, PrivateKey = Files.EcServerKeyEncryptedDer }, "private_key");
        Assert.Contains("is an encrypted private key and no password is configured", missing.Message);
    }

    [Fact]
    public void A_PKCS1_DER_key_serves_a_PEM_chain_file()
    {
        TlsCertificateInfo peer = Handshake(new TlsProfileSettings { Certificate = Files.LeafChain, PrivateKey = Files.LeafKeyPkcs1Der });
        Assert.Equal("localhost", peer.Subject.CommonName);
    }

    [Fact]
    public void A_PKCS12_certificate_brings_its_key_and_chain_without_private_key()
    {
        TlsCertificateInfo peer = Handshake(new TlsProfileSettings { Certificate = Files.LeafBundle, PrivateKeyPassword = CertificateMaterialFiles.Password });
        Assert.Equal("Certificate Inputs Intermediate", peer.Issuer.CommonName);

        // Modparam and tls.cfg defaults name the certificate file again as private_key: the bundle's key is used.
        Handshake(new TlsProfileSettings
        {
            Certificate = Files.LeafBundle, PrivateKey = Files.LeafBundle, PrivateKeyPassword = CertificateMaterialFiles.Password,
        });
    }

    [Fact]
    public void A_pfx_with_an_empty_password_needs_none()
    {
        Handshake(new TlsProfileSettings { Certificate = Files.LeafBundleWithoutPassword });
    }

    [Fact]
    public void An_Ed25519_PKCS12_bundle_serves()
    {
        TlsCertificateInfo peer = Handshake(new TlsProfileSettings { Certificate = Files.Ed25519Bundle, PrivateKeyPassword = CertificateMaterialFiles.Password },
            new TlsProfileSettings { VerifyHostname = false });
        Assert.Equal("localhost", peer.Subject.CommonName);
    }

    [Fact]
    public void A_PKCS12_certificate2_needs_no_private_key2()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = Files.LeafChain,
            PrivateKey = Files.LeafKey,
            Certificate2 = Files.EcServerBundle,
            PrivateKeyPassword2 = CertificateMaterialFiles.Password,
        });
        Handshake(server);
    }

    [Fact]
    public void Modparams_and_tls_cfg_take_a_PKCS12_certificate()
    {
        using (TlsProfileSet fromModparams = TlsProfileSet.Load(new TlsModuleOptions
        {
            Certificate = Files.LeafBundle, PrivateKeyPassword = CertificateMaterialFiles.Password,
        }))
        {
            Handshake(fromModparams.ServerDefault);
        }

        using var directory = new Configuration.TempDirectory();
        string config = directory.Write("tls.cfg", $"""
            [server:default]
            certificate = {Files.LeafBundle}
            private_key_password = {CertificateMaterialFiles.Password}

            [client:default]
            """);
        using TlsProfileSet fromFile = TlsProfileSet.Load(new TlsModuleOptions { Config = config, MainConfigDirectory = directory.Path });
        Handshake(fromFile.ServerDefault);
    }

    [Fact]
    public void A_PKCS12_certificate_with_a_wrong_or_missing_password_says_so()
    {
        TlsProfileException wrong = BuildFails(new TlsProfileSettings { Certificate = Files.LeafBundle, PrivateKeyPassword = "not-it" }, "certificate");
        Assert.Contains($"'{Files.LeafBundle}' is a PKCS#12 bundle and the password is wrong", wrong.Message);
        Assert.Contains("(private_key_password)", wrong.Message);
        Assert.DoesNotContain("not-it", wrong.ToString(), StringComparison.Ordinal);

        TlsProfileException missing = BuildFails(new TlsProfileSettings { Certificate = Files.LeafBundle }, "certificate");
        Assert.Contains("is a PKCS#12 bundle protected by a password, and no password is configured", missing.Message);
    }

    [Fact]
    public void DER_that_is_no_certificate_is_named_as_such()
    {
        TlsProfileException der = BuildFails(new TlsProfileSettings { Certificate = Files.GarbageDer }, "certificate");
        Assert.Contains($"'{Files.GarbageDer}' is DER but neither an X.509 certificate nor a PKCS#12 bundle", der.Message);
        Assert.False(string.IsNullOrEmpty(der.Profile));

        TlsProfileException p12 = BuildFails(new TlsProfileSettings { Certificate = Files.GarbageP12 }, "certificate");
        Assert.Contains($"'{Files.GarbageP12}' is not a PKCS#12 bundle", p12.Message);

        TlsProfileException key = BuildFails(new TlsProfileSettings { Certificate = Files.EcServerDer, PrivateKey = Files.EcServerDer }, "private_key");
        Assert.Contains($"'{Files.EcServerDer}' holds a DER certificate, not a private key", key.Message);
    }

    [Fact]
    public void A_DER_key_of_another_certificate_is_refused_naming_both()
    {
        TlsProfileException error = BuildFails(new TlsProfileSettings { Certificate = Files.LeafChain, PrivateKey = Files.OtherRsaKeyDer }, "private_key");
        Assert.Contains($"key '{Files.OtherRsaKeyDer}' does not match certificate '{Files.LeafChain}'", error.Message);
    }

    [Fact]
    public void A_PKCS12_bundle_without_a_key_is_refused_for_certificate2()
    {
        TlsProfileException error = BuildFails(new TlsProfileSettings
        {
            Certificate = Files.EcServerDer,
            PrivateKey = Files.EcServerKeyDer,
            Certificate2 = Files.LeafBundleWithoutKey,
            PrivateKeyPassword2 = CertificateMaterialFiles.Password,
        }, "certificate2");
        Assert.True(error.Message.Contains("is set but no private_key2 is", StringComparison.Ordinal), error.Message);
    }

    // ---- TlsCertificateSource ----

    [Fact]
    public void PEM_bytes_serve_with_their_chain_and_a_separate_or_combined_key()
    {
        byte[] chain = File.ReadAllBytes(Files.LeafChain);
        byte[] key = File.ReadAllBytes(Files.LeafKey);
        using (var source = TlsCertificateSource.FromPem(chain, key))
        {
            Assert.True(source.HasPrivateKey);
            Assert.Contains("1 chain certificate", source.Description);
            Handshake(new TlsProfileSettings { CertificateSource = source });
        }

        using var combined = TlsCertificateSource.FromPem([.. chain, .. key]);
        Assert.True(combined.HasPrivateKey);
        Handshake(new TlsProfileSettings { CertificateSource = combined });
    }

    [Fact]
    public void DER_bytes_serve()
    {
        using var source = TlsCertificateSource.FromDer(File.ReadAllBytes(Files.EcServerDer), File.ReadAllBytes(Files.EcServerKeyEncryptedDer), CertificateMaterialFiles.Password);
        Handshake(new TlsProfileSettings { CertificateSource = source });
    }

    [Fact]
    public void PKCS12_bytes_serve_with_their_chain()
    {
        using var source = TlsCertificateSource.FromPkcs12(File.ReadAllBytes(Files.LeafBundle), CertificateMaterialFiles.Password);
        Assert.True(source.HasPrivateKey);
        TlsCertificateInfo peer = Handshake(new TlsProfileSettings { CertificateSource = source });
        Assert.Equal("Certificate Inputs Intermediate", peer.Issuer.CommonName);
    }

    [Fact]
    public void File_sources_are_read_like_the_settings_paths()
    {
        using (var bundle = TlsCertificateSource.FromPkcs12File(Files.LeafBundle, CertificateMaterialFiles.Password))
        {
            Assert.Null(bundle.HasPrivateKey);
            Handshake(new TlsProfileSettings { CertificateSource = bundle });
        }

        using var files = TlsCertificateSource.FromFile(Files.EcServerDer, Files.EcServerKeyDer);
        Handshake(new TlsProfileSettings { CertificateSource = files });

        using var notBundle = TlsCertificateSource.FromPkcs12File(Files.LeafChain, null);
        TlsProfileException error = BuildFails(new TlsProfileSettings { CertificateSource = notBundle }, "CertificateSource");
        Assert.Contains($"'{Files.LeafChain}' is not a PKCS#12 bundle", error.Message);
    }

    [Fact]
    public void Bad_bytes_fail_in_the_factory_naming_the_argument_and_the_problem()
    {
        byte[] bundle = File.ReadAllBytes(Files.LeafBundle);
        var wrong = Assert.Throws<CryptographicException>(() => TlsCertificateSource.FromPkcs12(bundle, "not-it"));
        Assert.Equal("pkcs12 is a PKCS#12 bundle and the password is wrong (its integrity check fails)", wrong.Message);
        var none = Assert.Throws<CryptographicException>(() => TlsCertificateSource.FromPkcs12(bundle, null));
        Assert.StartsWith("pkcs12 is a PKCS#12 bundle protected by a password", none.Message);

        var garbage = Assert.Throws<CryptographicException>(() => TlsCertificateSource.FromDer(File.ReadAllBytes(Files.GarbageDer)));
        Assert.StartsWith("certificateDer is not a DER X.509 certificate", garbage.Message);

        var mismatch = Assert.Throws<CryptographicException>(() =>
            TlsCertificateSource.FromPem(File.ReadAllBytes(Files.LeafChain), File.ReadAllBytes(Pki.ServerRsaKey)));
        Assert.Equal("privateKeyPem holds a private key that does not match the certificate '/CN=localhost'", mismatch.Message);

        var pemAsDer = Assert.Throws<CryptographicException>(() => TlsCertificateSource.FromPem(File.ReadAllBytes(Files.EcServerDer)));
        Assert.StartsWith("certificatePem is not PEM", pemAsDer.Message);
        Assert.DoesNotContain("no start line", pemAsDer.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void An_X509Certificate2_with_its_RSA_key_serves_with_the_chain_given_beside_it()
    {
        using X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12FromFile(Files.LeafBundle, CertificateMaterialFiles.Password);
        using X509Certificate2 intermediate = X509CertificateLoader.LoadCertificateFromFile(Files.Intermediate);
        using X509Certificate2 root = X509CertificateLoader.LoadCertificateFromFile(Pki.RootCaCertificate);

        // The leaf and the root in the collection are not sent: only the intermediate is.
        using var source = TlsCertificateSource.FromX509Certificate2(certificate, [certificate, intermediate, root]);
        Assert.True(source.HasPrivateKey);
        Assert.Contains("1 chain certificate", source.Description);
        TlsCertificateInfo peer = Handshake(new TlsProfileSettings { CertificateSource = source });
        Assert.Equal("Certificate Inputs Intermediate", peer.Issuer.CommonName);
    }

    [Fact]
    public void An_X509Certificate2_with_its_ECDSA_key_serves_after_the_certificate_is_disposed()
    {
        TlsCertificateSource source;
        using (X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(Pki.ServerEcCertificate, Pki.ServerEcKey))
        {
            source = TlsCertificateSource.FromX509Certificate2(certificate);
        }

        using (source)
        {
            Handshake(new TlsProfileSettings { CertificateSource = source });
        }
    }

    [Fact]
    public void An_X509Certificate2_without_a_key_needs_private_key()
    {
        using X509Certificate2 certificate = X509CertificateLoader.LoadCertificateFromFile(Pki.ServerEcCertificate);
        using var source = TlsCertificateSource.FromX509Certificate2(certificate);
        Assert.False(source.HasPrivateKey);

        TlsProfileException error = BuildFails(new TlsProfileSettings { CertificateSource = source }, "CertificateSource");
        Assert.Contains("X509Certificate2 certificate '/CN=localhost', no private key carries no private key and private_key is not set", error.Message);

        // With the key named separately, it serves.
        Handshake(new TlsProfileSettings { CertificateSource = source, PrivateKey = Pki.ServerEcKey });
    }

    [Fact]
    public void A_profile_keeps_its_certificate_when_the_source_is_disposed_and_a_disposed_source_is_refused_by_the_next_build()
    {
        var source = TlsCertificateSource.FromPem(File.ReadAllBytes(Pki.ServerEcCertificate), File.ReadAllBytes(Pki.ServerEcKey));
        var settings = new TlsProfileSettings { CertificateSource = source };
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, settings);
        source.Dispose();

        Handshake(server);
        TlsProfileException error = BuildFails(settings, "CertificateSource");
        Assert.Contains("was disposed before the profile was built", error.Message);
    }

    [Fact]
    public void A_source_and_a_certificate_path_together_are_refused()
    {
        using var source = TlsCertificateSource.FromFile(Pki.ServerEcCertificate, Pki.ServerEcKey);
        TlsProfileException error = BuildFails(new TlsProfileSettings { CertificateSource = source, Certificate = Pki.ServerEcCertificate }, "CertificateSource");
        Assert.Contains("are both set: use one", error.Message);
    }

    [Fact]
    public void Settings_text_shows_sources_without_their_secrets()
    {
        using var source = TlsCertificateSource.FromFile(Files.LeafBundle, password: CertificateMaterialFiles.Password);
        using var bytes = TlsCertificateSource.FromPkcs12(File.ReadAllBytes(Files.LeafBundle), CertificateMaterialFiles.Password);
        string text = new TlsProfileSettings { CertificateSource = source, Certificate2Source = bytes }.ToString();

        Assert.Contains($"CertificateSource = file '{Files.LeafBundle}'", text);
        Assert.Contains("Certificate2Source = PKCS#12 certificate '/CN=localhost'", text);
        Assert.DoesNotContain(CertificateMaterialFiles.Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(CertificateMaterialFiles.Password, source.ToString(), StringComparison.Ordinal);
    }

    // ---- CA lists ----

    [Fact]
    public void A_DER_ca_list_file_verifies_the_server()
    {
        Handshake(OpenSslTls.Tests.Connections.InMemoryConnectionTests.ServerSettings(), new TlsProfileSettings { CaList = Files.RootDer, VerifyCertificate = true });
    }

    [Fact]
    public void CertificateAuthorities_from_bytes_collections_files_and_directories_verify_the_server()
    {
        using X509Certificate2 root = X509CertificateLoader.LoadCertificateFromFile(Pki.RootCaCertificate);
        TlsCertificateAuthorities[] sources =
        [
            TlsCertificateAuthorities.FromCertificates([root]),
            TlsCertificateAuthorities.FromDer(File.ReadAllBytes(Files.RootDer)),
            TlsCertificateAuthorities.FromPem(File.ReadAllBytes(Pki.RootCaCertificate)),
            TlsCertificateAuthorities.FromFile(Files.RootDer),
            TlsCertificateAuthorities.FromFile(Pki.RootCaCertificate),
            TlsCertificateAuthorities.FromDirectory(Pki.CaPathDirectory),
        ];
        try
        {
            foreach (TlsCertificateAuthorities authorities in sources)
            {
                Handshake(OpenSslTls.Tests.Connections.InMemoryConnectionTests.ServerSettings(), new TlsProfileSettings { CertificateAuthorities = authorities, VerifyCertificate = true });
            }
        }
        finally
        {
            foreach (TlsCertificateAuthorities authorities in sources)
            {
                authorities.Dispose();
            }
        }
    }

    [Fact]
    public void A_server_requiring_client_certificates_trusts_a_collection()
    {
        using X509Certificate2 root = X509CertificateLoader.LoadCertificateFromFile(Pki.RootCaCertificate);
        using var authorities = TlsCertificateAuthorities.FromCertificates([root]);
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, OpenSslTls.Tests.Connections.InMemoryConnectionTests.ServerSettings() with
        {
            CertificateAuthorities = authorities, VerifyClient = VerifyClientMode.On,
        });
        using X509Certificate2 client = X509Certificate2.CreateFromPemFile(Pki.ClientCertificate, Pki.ClientKey);
        using var clientSource = TlsCertificateSource.FromX509Certificate2(client);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, TrustingRoot with { CertificateSource = clientSource });
        using (var pair = new TlsPair(server, clientProfile, "localhost"))
        {
            Assert.True(pair.Handshake(), $"server: {pair.Server.Failure?.Message}; client: {pair.Client.Failure?.Message}");
            Assert.Equal(TestPki.ClientName, pair.Server.Info!.PeerCertificate!.Subject.CommonName);
        }

        // Without a client certificate the server refuses: the collection is what it verifies against.
        using TlsProfile anonymous = TlsProfile.Create(TlsRole.Client, TrustingRoot);
        using var refused = new TlsPair(server, anonymous, "localhost");
        Assert.False(refused.Handshake());
    }
}
