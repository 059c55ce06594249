using System.Text;
using OpenSslTls.Certificates;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// subjectAltName entries that are no strings (issue 15, item 5): otherName (Microsoft UPNs), dirName, RID,
/// x400Address and ediPartyName are reported by type name and never read as ASN1_STRINGs (whose "length" would be
/// pointer bits: a negative one threw out of <c>TlsConnection.Receive</c>); empty and huge DNS names read as they are.
/// On both sides: the server's certificate read by a client, a client's certificate read by a server.
/// </summary>
public sealed class HostileAlternativeNameTests : NativeLeakCheck
{
    private static HostNamePki Names => HostNamePki.Instance;

    public static TheoryData<string> Hostile => ["hostile", "hostile-der", "huge"];

    private static void AssertNames(string name, TlsCertificateInfo certificate)
    {
        switch (name)
        {
            case "hostile":
                Assert.Equal([HostNamePki.Victim], certificate.DnsNames);
                Assert.Equal([.. Enumerable.Repeat("othername", 16), "DirName", "Registered ID"], certificate.OtherAlternativeNames);
                break;
            case "hostile-der":
                Assert.Equal(["", HostNamePki.Victim], certificate.DnsNames);
                Assert.Equal(["X400Name", "EdiPartyName", "Registered ID"], certificate.OtherAlternativeNames);
                break;
            default:
                Assert.Equal((160 * 64) - 1, certificate.DnsNames[0].Length);
                Assert.Equal(HostNamePki.Victim, certificate.DnsNames[1]);
                Assert.Empty(certificate.OtherAlternativeNames);
                break;
        }

        Assert.Empty(certificate.Uris);
        Assert.Empty(certificate.Emails);
        Assert.Empty(certificate.IpAddresses);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_certificate_file_reads_without_touching_what_is_not_a_string(string name)
    {
        AssertNames(name, TlsCertificateInfo.FromPem(File.ReadAllText(Names.Certificate(name))));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_client_reads_a_hostile_server_certificate_and_checks_its_name(string name)
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = Names.Certificate(name), PrivateKey = Names.Key(name) });
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings
        {
            VerifyCertificate = true,
            RequireCertificate = true,
            CaList = TestPki.Instance.RootCaCertificate,
        });
        using var pair = new TlsPair(server, client, HostNamePki.Victim);
        Assert.True(pair.Handshake(), pair.Client.Failure?.Message);

        pair.ServerSend("hello"u8);
        pair.Pump();
        Assert.Equal("hello", Encoding.ASCII.GetString(pair.ClientReceived.WrittenSpan));
        AssertNames(name, pair.Client.Info!.PeerCertificate!);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_server_reads_a_hostile_client_certificate(string name)
    {
        TestPki pki = TestPki.Instance;
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = pki.ServerEcCertificate,
            PrivateKey = pki.ServerEcKey,
            CaList = pki.RootCaCertificate,
            VerifyClient = VerifyClientMode.On,
        });
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { Certificate = Names.Certificate(name), PrivateKey = Names.Key(name) });

        // Several handshakes: the old reader's outcome depended on where the heap put the otherName objects.
        for (int round = 0; round < 4; round++)
        {
            using var pair = new TlsPair(server, client, "localhost");
            Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
            pair.ClientSend("OPTIONS"u8);
            pair.Pump();
            Assert.Equal("OPTIONS", Encoding.ASCII.GetString(pair.ServerReceived.WrittenSpan));
            Assert.True(pair.Server.Info!.PeerVerified);
            AssertNames(name, pair.Server.Info.PeerCertificate!);
        }
    }
}
