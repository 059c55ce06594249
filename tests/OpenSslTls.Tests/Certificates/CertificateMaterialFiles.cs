using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.Certificates;

/// <summary>
/// Certificates and keys in every encoding the profile inputs take, made once per test process with the
/// <c>openssl</c> tool in a temporary directory: an RSA server (CN=localhost) under an intermediate under
/// <see cref="TestPki"/>'s root (so a handshake against a client trusting only the root succeeds only when the chain is
/// sent), the test PKI's EC server in DER, PKCS#12 bundles, and an Ed25519 self-signed server.
/// </summary>
internal sealed class CertificateMaterialFiles
{
    public const string Password = "p12-s3cret";

    private static readonly Lazy<CertificateMaterialFiles> s_instance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private CertificateMaterialFiles(string directory)
    {
        Directory = directory;
    }

    public static CertificateMaterialFiles Instance => s_instance.Value;

    public string Directory { get; }

    public string Intermediate => Path("inter.pem");

    /// <summary>RSA leaf (PEM) issued by <see cref="Intermediate"/>.</summary>
    public string Leaf => Path("leaf.pem");

    public string LeafKey => Path("leaf.key");

    /// <summary>Leaf followed by the intermediate (PEM).</summary>
    public string LeafChain => Path("leaf-chain.pem");

    /// <summary>The leaf's key as PKCS#1 DER ("traditional" RSA).</summary>
    public string LeafKeyPkcs1Der => Path("leaf-pkcs1.key.der");

    /// <summary>Leaf, key and intermediate, protected by <see cref="Password"/> (AES, OpenSSL 3's default).</summary>
    public string LeafBundle => Path("leaf.p12");

    /// <summary>The same bundle with an empty password, named .pfx.</summary>
    public string LeafBundleWithoutPassword => Path("leaf-nopass.pfx");

    /// <summary>A PKCS#12 bundle holding only the leaf certificate (no key).</summary>
    public string LeafBundleWithoutKey => Path("leaf-nokey.p12");

    /// <summary>Another RSA key: RSA like the leaf, but not its key.</summary>
    public string OtherRsaKeyDer => Path("other-rsa.key.der");

    /// <summary>The test PKI's EC server certificate as DER.</summary>
    public string EcServerDer => Path("server-ec.der");

    /// <summary>The test PKI's EC server key as PKCS#8 DER.</summary>
    public string EcServerKeyDer => Path("server-ec.key.der");

    /// <summary>The EC server key as encrypted PKCS#8 DER (<see cref="Password"/>).</summary>
    public string EcServerKeyEncryptedDer => Path("server-ec-encrypted.key.der");

    /// <summary>The EC server certificate and key as a PKCS#12 bundle (<see cref="Password"/>).</summary>
    public string EcServerBundle => Path("server-ec.p12");

    /// <summary>The test PKI's root as DER.</summary>
    public string RootDer => Path("root-ca.der");

    /// <summary>An Ed25519 self-signed server certificate (CN=localhost) and its key, and both as PKCS#12 (<see cref="Password"/>).</summary>
    public string Ed25519Certificate => Path("ed25519.pem");

    public string Ed25519Key => Path("ed25519.key");

    public string Ed25519Bundle => Path("ed25519.p12");

    /// <summary>A DER SEQUENCE that is neither a certificate nor a bundle nor a key.</summary>
    public string GarbageDer => Path("garbage.der");

    /// <summary>The same bytes named .p12.</summary>
    public string GarbageP12 => Path("garbage.p12");

    public string Path(string name) => System.IO.Path.Combine(Directory, name);

    private static CertificateMaterialFiles Create()
    {
        TestPki pki = TestPki.Instance;
        string directory = System.IO.Directory.CreateTempSubdirectory("OpenSslTls-CertInputs-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };

        var files = new CertificateMaterialFiles(directory);
        File.WriteAllText(files.Path("ext.cnf"), """
            [ca]
            basicConstraints = critical, CA:true
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid:always

            [server]
            basicConstraints = critical, CA:false
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            subjectAltName = DNS:localhost, IP:127.0.0.1
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid:always
            """);
        void Run(params string[] args)
        {
            OpenSslCliResult result = OpenSslCli.Run(args, directory);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"{result.CommandLine} failed ({result.ExitCode}): {result.StandardError}");
            }
        }

        string pass = "pass:" + Password;
        Run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "inter.key", "-subj", "/CN=Certificate Inputs Intermediate", "-out", "inter.csr");
        Run("x509", "-req", "-in", "inter.csr", "-CA", pki.RootCaCertificate, "-CAkey", pki.RootCaKey, "-set_serial", "0x7001", "-days", "30",
            "-extfile", "ext.cnf", "-extensions", "ca", "-out", "inter.pem");
        Run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-subj", "/CN=localhost", "-out", "leaf.csr");
        Run("x509", "-req", "-in", "leaf.csr", "-CA", "inter.pem", "-CAkey", "inter.key", "-set_serial", "0x7002", "-days", "30",
            "-extfile", "ext.cnf", "-extensions", "server", "-out", "leaf.pem");
        File.WriteAllText(files.LeafChain, File.ReadAllText(files.Leaf) + File.ReadAllText(files.Intermediate));
        Run("rsa", "-in", "leaf.key", "-traditional", "-outform", "DER", "-out", "leaf-pkcs1.key.der");
        Run("pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "inter.pem", "-passout", pass, "-out", "leaf.p12");
        Run("pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "inter.pem", "-passout", "pass:", "-out", "leaf-nopass.pfx");
        Run("pkcs12", "-export", "-in", "leaf.pem", "-nokeys", "-passout", pass, "-out", "leaf-nokey.p12");
        Run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-outform", "DER", "-out", "other-rsa.key.der");

        Run("x509", "-in", pki.ServerEcCertificate, "-outform", "DER", "-out", "server-ec.der");
        Run("pkey", "-in", pki.ServerEcKey, "-outform", "DER", "-out", "server-ec.key.der");
        Run("pkcs8", "-topk8", "-in", pki.ServerEcKey, "-outform", "DER", "-v2", "aes-256-cbc", "-passout", pass, "-out", "server-ec-encrypted.key.der");
        Run("pkcs12", "-export", "-in", pki.ServerEcCertificate, "-inkey", pki.ServerEcKey, "-passout", pass, "-out", "server-ec.p12");
        Run("x509", "-in", pki.RootCaCertificate, "-outform", "DER", "-out", "root-ca.der");

        Run("req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", "ed25519.key", "-subj", "/CN=localhost", "-days", "30", "-out", "ed25519.pem");
        Run("pkcs12", "-export", "-in", "ed25519.pem", "-inkey", "ed25519.key", "-passout", pass, "-out", "ed25519.p12");

        // SEQUENCE { INTEGER 0, OCTET STRING 'garbage' }: valid DER, but no certificate, bundle or key.
        byte[] garbage = [0x30, 0x0c, 0x02, 0x01, 0x00, 0x04, 0x07, .. "garbage"u8];
        File.WriteAllBytes(files.GarbageDer, garbage);
        File.WriteAllBytes(files.GarbageP12, garbage);
        return files;
    }
}
