using System.Globalization;
using System.Text;
using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Leaf certificates issued by <see cref="TestPki"/>'s root for the host-name and subjectAltName tests, each with the
/// names one test is about (serverAuth and clientAuth, so a certificate can stand on either side). Made once per test
/// process with the <c>openssl</c> tool in its own directory; <see cref="Certificate"/> and <see cref="Key"/> name the files.
/// </summary>
internal sealed class HostNamePki
{
    public const string Victim = "sip.victim.test";

    /// <summary>The certificates: file name, subject CN, subjectAltName value (null: no extension).</summary>
    private static readonly (string Name, string CommonName, string? AltNames)[] Leaves =
    [
        ("victim", Victim, "DNS:" + Victim),
        ("attacker", "attacker.test", "DNS:attacker.test"),
        ("wildcard", "wildcard", "DNS:*.victim.test"),
        ("partial-wildcard", "partial wildcard", "DNS:s*.victim.test"),
        ("sip-uri", "attacker.test", "URI:sip:" + Victim),
        ("sip-uri-with-user", "attacker.test", "URI:sip:proxy@" + Victim + ":5061;transport=tls"),
        ("sip-uri-other", Victim, "URI:sip:other.test"),
        ("cn-only", Victim, null),
        ("cn-with-dns", Victim, "DNS:other.test"),
        ("cn-with-email", Victim, "email:admin@other.test"),
        ("ip", "ip", "IP:192.0.2.7, IP:2001:db8::7"),
        ("hostile", "hostile", Hostile()),
        ("hostile-der", "hostile der", HostileDer()),
        ("huge", "huge", "DNS:" + string.Join('.', Enumerable.Repeat(new string('a', 63), 160)) + ", DNS:" + Victim),
    ];

    private static readonly Lazy<HostNamePki> s_instance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private HostNamePki(string directory)
    {
        Directory = directory;
    }

    public static HostNamePki Instance => s_instance.Value;

    public string Directory { get; }

    public string Certificate(string name) => Path.Combine(Directory, name + ".pem");

    public string Key(string name) => Path.Combine(Directory, name + ".key");

    /// <summary>
    /// otherName (sixteen Microsoft UPNs, each with its own OID object, so their pointer bits cover both signs),
    /// dirName and RID beside a DNS name: the kinds whose value is no ASN1_STRING.
    /// </summary>
    private static string Hostile() =>
        string.Join(", ", Enumerable.Range(0, 16).Select(i => $"otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user{i}@example.test"))
        + ", dirName:dir_sect, RID:1.2.3.4, DNS:" + Victim;

    /// <summary>
    /// What the openssl tool cannot write by name, as DER: x400Address (empty ORAddress), an empty DNS name,
    /// ediPartyName (partyName "AB"), a RID, then a DNS name.
    /// </summary>
    private static string HostileDer()
    {
        byte[] dns = Encoding.ASCII.GetBytes(Victim);
        byte[] names = [0xa3, 0x00, 0x82, 0x00, 0xa5, 0x06, 0xa1, 0x04, 0x0c, 0x02, 0x41, 0x42, 0x88, 0x03, 0x2a, 0x03, 0x04, 0x82, (byte)dns.Length, .. dns];
        byte[] sequence = [0x30, (byte)names.Length, .. names];
        return "DER:" + Convert.ToHexString(sequence);
    }

    private static HostNamePki Create()
    {
        TestPki pki = TestPki.Instance;
        string directory = System.IO.Directory.CreateTempSubdirectory("OpenSslTls-HostNames-").FullName;
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

        var config = new StringBuilder();
        foreach ((string name, _, string? altNames) in Leaves)
        {
            config.Append(CultureInfo.InvariantCulture, $"""
                [{name}]
                basicConstraints = critical, CA:false
                keyUsage = critical, digitalSignature
                extendedKeyUsage = serverAuth, clientAuth
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid:always

                """);
            if (altNames is not null)
            {
                config.Append(CultureInfo.InvariantCulture, $"subjectAltName = {altNames}\n");
            }

            config.Append('\n');
        }

        config.Append("[dir_sect]\nCN = Directory Name\nO = Hostile\n");
        File.WriteAllText(Path.Combine(directory, "ext.cnf"), config.ToString());

        int serial = 0x7100;
        foreach ((string name, string commonName, _) in Leaves)
        {
            OpenSslCli.RunChecked(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + commonName], directory);

            // -set_serial rather than -CAcreateserial: no serial file is written beside the shared test root.
            OpenSslCli.RunChecked(["x509", "-req", "-in", name + ".csr", "-CA", pki.RootCaCertificate, "-CAkey", pki.RootCaKey,
                "-set_serial", (serial++).ToString(CultureInfo.InvariantCulture), "-days", "30", "-extfile", "ext.cnf", "-extensions", name,
                "-out", name + ".pem"], directory);
        }

        return new HostNamePki(directory);
    }
}
