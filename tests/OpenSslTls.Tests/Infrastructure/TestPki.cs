using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OpenSslTls.Tests.Infrastructure;

/// <summary>
/// A throwaway PKI for the tests, made once per test process with the <c>openssl</c>
/// command-line tool in a fresh temporary directory (deleted, best effort, when the
/// process exits; set <c>OPENSSLTLS_KEEP_TEST_PKI=1</c> to keep it for debugging).
/// Every property is the absolute path of a PEM file (or of a directory).
/// Keys are unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY") unless named Encrypted.
/// <para>
/// Issued by <see cref="RootCaCertificate"/> ("OpenSslTls Test Root CA", EC P-256):
/// the servers (CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1, EKU serverAuth),
/// the SNI server (CN=sip.example.test), the clients (CN=alice, SAN email:alice@example.test,
/// URI:sip:alice@example.test, EKU clientAuth), the expired and the revoked ones.
/// Issued by <see cref="UntrustedRootCaCertificate"/> ("OpenSslTls Untrusted CA"):
/// the Untrusted* leaves, with the same names and extensions as the trusted ones.
/// The expired and untrusted variants carry exactly the same names as the good ones, so a
/// failure can only come from the one property a test is about.
/// </para>
/// </summary>
public sealed class TestPki
{
    public const string RootCaName = "OpenSslTls Test Root CA";
    public const string UntrustedRootCaName = "OpenSslTls Untrusted CA";
    public const string ServerName = "localhost";
    public const string SniServerName = "sip.example.test";
    public const string ClientName = "alice";
    public const string ClientEmail = "alice@example.test";
    public const string ClientUri = "sip:alice@example.test";
    public const string EncryptedKeyPassword = "s3cret-pass";

    private const string RootDb = "root-ca-db";
    private const string UntrustedDb = "untrusted-ca-db";

    private static readonly Lazy<TestPki> s_instance = new(Generate, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _dir;

    private TestPki(string directory)
    {
        _dir = directory;
    }

    /// <summary>The PKI, generated on first use; thread-safe. A generation failure is rethrown on every access.</summary>
    public static TestPki Instance => s_instance.Value;

    /// <summary>The temporary directory holding every file.</summary>
    public string Directory => _dir;

    /// <summary>How long generating the PKI took.</summary>
    public TimeSpan GenerationTime { get; private set; }

    public string RootCaCertificate => Path.Combine(_dir, "root-ca.pem");
    public string RootCaKey => Path.Combine(_dir, "root-ca.key");
    public string UntrustedRootCaCertificate => Path.Combine(_dir, "untrusted-ca.pem");
    public string UntrustedRootCaKey => Path.Combine(_dir, "untrusted-ca.key");

    /// <summary>Both roots in one PEM file (trusted root first).</summary>
    public string AllRootsBundle => Path.Combine(_dir, "all-roots.pem");

    /// <summary>Directory holding only the trusted root, hashed with <c>openssl rehash</c> (for <c>-CApath</c> / X509_LOOKUP_hash_dir).</summary>
    public string CaPathDirectory => Path.Combine(_dir, "ca-path");

    public string ServerEcCertificate => Path.Combine(_dir, "server-ec.pem");
    public string ServerEcKey => Path.Combine(_dir, "server-ec.key");

    /// <summary>The <see cref="ServerEcKey"/> as encrypted PKCS#8 PEM ("BEGIN ENCRYPTED PRIVATE KEY", AES-256-CBC, PBKDF2).</summary>
    public string ServerEcKeyEncrypted => Path.Combine(_dir, "server-ec-encrypted.key");

    public string ServerEcKeyPassword => EncryptedKeyPassword;

    /// <summary>The EC server certificate followed by the root certificate.</summary>
    public string ServerEcChain => Path.Combine(_dir, "server-ec-chain.pem");

    public string ServerRsaCertificate => Path.Combine(_dir, "server-rsa.pem");
    public string ServerRsaKey => Path.Combine(_dir, "server-rsa.key");
    public string SniServerCertificate => Path.Combine(_dir, "sni-server.pem");
    public string SniServerKey => Path.Combine(_dir, "sni-server.key");
    public string ClientCertificate => Path.Combine(_dir, "client.pem");
    public string ClientKey => Path.Combine(_dir, "client.key");
    public string ExpiredClientCertificate => Path.Combine(_dir, "expired-client.pem");
    public string ExpiredClientKey => Path.Combine(_dir, "expired-client.key");
    public string ExpiredServerCertificate => Path.Combine(_dir, "expired-server.pem");
    public string ExpiredServerKey => Path.Combine(_dir, "expired-server.key");
    public string UntrustedClientCertificate => Path.Combine(_dir, "untrusted-client.pem");
    public string UntrustedClientKey => Path.Combine(_dir, "untrusted-client.key");
    public string UntrustedServerCertificate => Path.Combine(_dir, "untrusted-server.pem");
    public string UntrustedServerKey => Path.Combine(_dir, "untrusted-server.key");
    public string RevokedClientCertificate => Path.Combine(_dir, "revoked-client.pem");
    public string RevokedClientKey => Path.Combine(_dir, "revoked-client.key");

    /// <summary>CRL (PEM) from the root CA revoking <see cref="RevokedClientCertificate"/>; issued now (after the revocation), valid for 30 days.</summary>
    public string Crl => Path.Combine(_dir, "root-ca.crl.pem");

    private static TestPki Generate()
    {
        var stopwatch = Stopwatch.StartNew();
        string directory = System.IO.Directory.CreateTempSubdirectory("OpenSslTls-TestPki-").FullName;
        RegisterCleanup(directory);

        var pki = new TestPki(directory);
        try
        {
            pki.Build();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            throw new InvalidOperationException($"Generating the test PKI in '{directory}' failed: {ex.Message}", ex);
        }

        pki.GenerationTime = stopwatch.Elapsed;
        return pki;
    }

    private void Build()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string validFrom = AsnTime(now.AddDays(-1));
        string validTo = AsnTime(now.AddDays(365));
        string expiredFrom = AsnTime(now.AddDays(-90));
        string expiredTo = AsnTime(now.AddDays(-30));

        // Roots: self-signed through "openssl ca -selfsign" so their validity can start in the past
        // (OpenSSL 3.0's "req -x509" always starts now), and so that every certificate goes through one path.
        string rootConfig = CreateCaDatabase(RootDb, "root-ca", firstSerial: "1000");
        string untrustedConfig = CreateCaDatabase(UntrustedDb, "untrusted-ca", firstSerial: "5000");
        string rootFrom = AsnTime(now.AddDays(-365));
        string rootTo = AsnTime(now.AddDays(3650));
        NewKeyAndRequest("root-ca", RootCaName, rsa: false, rootConfig);
        Sign(rootConfig, "root-ca", "ext_ca", rootFrom, rootTo, selfSignKey: "root-ca.key");
        NewKeyAndRequest("untrusted-ca", UntrustedRootCaName, rsa: false, untrustedConfig);
        Sign(untrustedConfig, "untrusted-ca", "ext_ca", rootFrom, rootTo, selfSignKey: "untrusted-ca.key");

        Issue(rootConfig, "server-ec", ServerName, "ext_server_ec", validFrom, validTo);
        Issue(rootConfig, "server-rsa", ServerName, "ext_server_rsa", validFrom, validTo, rsa: true);
        Issue(rootConfig, "sni-server", SniServerName, "ext_server_sni", validFrom, validTo);
        Issue(rootConfig, "client", ClientName, "ext_client", validFrom, validTo);
        Issue(rootConfig, "expired-client", ClientName, "ext_client", expiredFrom, expiredTo);
        Issue(rootConfig, "expired-server", ServerName, "ext_server_ec", expiredFrom, expiredTo);
        Issue(rootConfig, "revoked-client", ClientName, "ext_client", validFrom, validTo);
        Issue(untrustedConfig, "untrusted-client", ClientName, "ext_client", validFrom, validTo);
        Issue(untrustedConfig, "untrusted-server", ServerName, "ext_server_ec", validFrom, validTo);

        Openssl("ca", "-batch", "-config", rootConfig, "-revoke", "revoked-client.pem", "-crl_reason", "keyCompromise");
        Openssl("ca", "-batch", "-config", rootConfig, "-gencrl", "-crldays", "30", "-out", "root-ca.crl.pem");

        Openssl("pkcs8", "-topk8", "-in", "server-ec.key", "-out", "server-ec-encrypted.key",
            "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256", "-passout", "pass:" + EncryptedKeyPassword);

        File.WriteAllText(ServerEcChain, File.ReadAllText(ServerEcCertificate) + File.ReadAllText(RootCaCertificate));
        File.WriteAllText(AllRootsBundle, File.ReadAllText(RootCaCertificate) + File.ReadAllText(UntrustedRootCaCertificate));

        System.IO.Directory.CreateDirectory(CaPathDirectory);
        File.Copy(RootCaCertificate, Path.Combine(CaPathDirectory, "root-ca.pem"));
        Openssl("rehash", "ca-path");

        SelfCheck();
    }

    /// <summary>The PKI checks itself: a wrong file here would make every test that uses it misleading.</summary>
    private void SelfCheck()
    {
        foreach (string path in AllFiles())
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"Expected file '{path}' was not created.");
            }
        }

        if (!System.IO.Directory.EnumerateFiles(CaPathDirectory, "*.0").Any())
        {
            throw new InvalidOperationException($"'openssl rehash' made no hash link in '{CaPathDirectory}'.");
        }

        if (!File.ReadAllText(ServerEcKeyEncrypted).Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"'{ServerEcKeyEncrypted}' is not an encrypted PKCS#8 PEM key.");
        }

        OpenSslCliResult good = OpenSslCli.Run(
            ["verify", "-CAfile", "root-ca.pem", "-crl_check", "-CRLfile", "root-ca.crl.pem", "-purpose", "sslclient", "client.pem"], _dir);
        if (good.ExitCode != 0 || !good.StandardOutput.Contains("client.pem: OK", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Self-check failed: the client certificate does not verify against the root and CRL.{Environment.NewLine}{good.StandardOutput}{good.StandardError}");
        }

        OpenSslCliResult revoked = OpenSslCli.Run(
            ["verify", "-CAfile", "root-ca.pem", "-crl_check", "-CRLfile", "root-ca.crl.pem", "revoked-client.pem"], _dir);
        if (revoked.ExitCode == 0 || !revoked.StandardError.Contains("error 23 at 0 depth lookup: certificate revoked", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Self-check failed: the revoked client certificate is not reported revoked.{Environment.NewLine}{revoked.StandardOutput}{revoked.StandardError}");
        }

        OpenSslCliResult byPath = OpenSslCli.Run(["verify", "-CApath", "ca-path", "-purpose", "sslserver", "server-ec.pem"], _dir);
        if (byPath.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"Self-check failed: the EC server certificate does not verify through the hashed CA directory.{Environment.NewLine}{byPath.StandardOutput}{byPath.StandardError}");
        }
    }

    /// <summary>Every file path property, for checks and diagnostics.</summary>
    public IReadOnlyList<string> AllFiles() =>
    [
        RootCaCertificate, RootCaKey, UntrustedRootCaCertificate, UntrustedRootCaKey, AllRootsBundle,
        ServerEcCertificate, ServerEcKey, ServerEcKeyEncrypted, ServerEcChain,
        ServerRsaCertificate, ServerRsaKey, SniServerCertificate, SniServerKey,
        ClientCertificate, ClientKey, ExpiredClientCertificate, ExpiredClientKey,
        ExpiredServerCertificate, ExpiredServerKey, UntrustedClientCertificate, UntrustedClientKey,
        UntrustedServerCertificate, UntrustedServerKey, RevokedClientCertificate, RevokedClientKey, Crl,
    ];

    private void Issue(string config, string name, string commonName, string extensions, string from, string to, bool rsa = false)
    {
        NewKeyAndRequest(name, commonName, rsa, config);
        Sign(config, name, extensions, from, to, selfSignKey: null);
    }

    private void NewKeyAndRequest(string name, string commonName, bool rsa, string config)
    {
        string[] keySpec = rsa
            ? ["-newkey", "rsa:2048"]
            : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
        Openssl(["req", "-config", config, "-new", .. keySpec, "-noenc", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + commonName]);
    }

    private void Sign(string config, string name, string extensions, string from, string to, string? selfSignKey)
    {
        string[] selfSign = selfSignKey is null ? [] : ["-selfsign", "-keyfile", selfSignKey];
        Openssl(["ca", "-batch", "-config", config, .. selfSign, "-in", name + ".csr", "-out", name + ".pem",
            "-extensions", extensions, "-startdate", from, "-enddate", to, "-notext"]);
        File.Delete(Path.Combine(_dir, name + ".csr"));
    }

    /// <summary>Creates an "openssl ca" database directory and config; returns the config path relative to <see cref="Directory"/>.</summary>
    private string CreateCaDatabase(string dbDirectory, string caName, string firstSerial)
    {
        string db = Path.Combine(_dir, dbDirectory);
        System.IO.Directory.CreateDirectory(Path.Combine(db, "newcerts"));
        File.WriteAllText(Path.Combine(db, "index.txt"), string.Empty);
        File.WriteAllText(Path.Combine(db, "serial"), firstSerial + "\n");
        File.WriteAllText(Path.Combine(db, "crlnumber"), "1000\n");

        // All paths are relative: every command runs with the PKI directory as working directory,
        // so the temp path never has to be quoted or escaped inside the config.
        string config = $$"""
            [ req ]
            distinguished_name = req_dn
            prompt = no

            [ req_dn ]
            CN = unused

            [ ca ]
            default_ca = ca_default

            [ ca_default ]
            dir = {{dbDirectory}}
            database = $dir/index.txt
            new_certs_dir = $dir/newcerts
            serial = $dir/serial
            crlnumber = $dir/crlnumber
            certificate = {{caName}}.pem
            private_key = {{caName}}.key
            default_md = sha256
            default_days = 365
            default_crl_days = 30
            policy = policy_any
            unique_subject = no
            copy_extensions = none
            email_in_dn = no
            crl_extensions = ext_crl

            [ policy_any ]
            commonName = supplied

            [ ext_crl ]
            authorityKeyIdentifier = keyid:always

            [ ext_ca ]
            basicConstraints = critical, CA:TRUE
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash

            [ ext_server_ec ]
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature
            extendedKeyUsage = serverAuth
            subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid

            [ ext_server_rsa ]
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid

            [ ext_server_sni ]
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature
            extendedKeyUsage = serverAuth
            subjectAltName = DNS:{{SniServerName}}
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid

            [ ext_client ]
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature
            extendedKeyUsage = clientAuth
            subjectAltName = email:{{ClientEmail}}, URI:{{ClientUri}}
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid

            """;
        string configPath = Path.Combine(dbDirectory, "ca.cnf");
        File.WriteAllText(Path.Combine(_dir, configPath), config.ReplaceLineEndings("\n"), new UTF8Encoding(false));
        return configPath;
    }

    private void Openssl(params string[] args) => OpenSslCli.RunChecked(args, _dir);

    /// <summary>ASN.1 GeneralizedTime text as "openssl ca" takes it (it stores UTCTime for years before 2050).</summary>
    private static string AsnTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";

    private static void RegisterCleanup(string directory)
    {
        if (Environment.GetEnvironmentVariable("OPENSSLTLS_KEEP_TEST_PKI") == "1")
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a file may still be open, e.g. by a killed child process.
            }
            catch (UnauthorizedAccessException)
            {
                // Best effort.
            }
        };
    }
}
