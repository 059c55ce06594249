using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// A client certificate one CA below <see cref="TestPki"/>'s root: root → "OpenSslTls Test Intermediate CA" → alice.
/// Its chain is one level longer than the test PKI's leaves, so <c>verify_depth = 0</c> refuses it and 1 accepts it:
/// a depth that applies can be told from one that does not. Made once per test process in its own directory.
/// </summary>
internal sealed class IntermediateChain
{
    private static readonly Lazy<IntermediateChain> s_instance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private IntermediateChain(string directory)
    {
        Directory = directory;
    }

    public static IntermediateChain Instance => s_instance.Value;

    public string Directory { get; }

    public string IntermediateCertificate => Path.Combine(Directory, "intermediate.pem");

    public string ClientCertificate => Path.Combine(Directory, "client.pem");

    public string ClientKey => Path.Combine(Directory, "client.key");

    /// <summary>The s_client arguments that present the client certificate with its intermediate.</summary>
    public string[] ClientArgs => ["-cert", ClientCertificate, "-key", ClientKey, "-cert_chain", IntermediateCertificate];

    private static IntermediateChain Create()
    {
        TestPki pki = TestPki.Instance;
        string directory = System.IO.Directory.CreateTempSubdirectory("OpenSslTls-Intermediate-").FullName;
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

        File.WriteAllText(Path.Combine(directory, "ext.cnf"), """
            [ca]
            basicConstraints = critical, CA:true
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid:always

            [client]
            basicConstraints = critical, CA:false
            keyUsage = critical, digitalSignature
            extendedKeyUsage = clientAuth
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid:always
            """);

        void Issue(string name, string subject, string issuerCertificate, string issuerKey, string section, string serial)
        {
            OpenSslCli.RunChecked(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + subject], directory);

            // -set_serial rather than -CAcreateserial: no serial file is written beside the shared test root.
            OpenSslCli.RunChecked(["x509", "-req", "-in", name + ".csr", "-CA", issuerCertificate, "-CAkey", issuerKey,
                "-set_serial", serial, "-days", "30", "-extfile", "ext.cnf", "-extensions", section, "-out", name + ".pem"], directory);
        }

        Issue("intermediate", "OpenSslTls Test Intermediate CA", pki.RootCaCertificate, pki.RootCaKey, "ca", "0x7001");
        Issue("client", TestPki.ClientName, "intermediate.pem", "intermediate.key", "client", "0x7002");

        OpenSslCliResult check = OpenSslCli.Run(
            ["verify", "-CAfile", pki.RootCaCertificate, "-untrusted", "intermediate.pem", "-purpose", "sslclient", "client.pem"], directory);
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException($"the intermediate chain does not verify: {check.StandardOutput}{check.StandardError}");
        }

        return new IntermediateChain(directory);
    }
}
