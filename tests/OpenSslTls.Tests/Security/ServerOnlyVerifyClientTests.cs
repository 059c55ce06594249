using System.Net;
using System.Net.Sockets;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Issue 15, item 2: <c>verify_client</c> (and its accept-any callback for <c>optional_no_ca</c>) is a server setting.
/// In modparam mode one template builds both <c>[server:default]</c> and <c>[client:default]</c>, so
/// <c>verify_client = optional_no_ca</c> used to switch off the server-certificate check of every outgoing
/// connection, even with <c>verify_certificate = 1</c>, <c>require_certificate = 1</c> and a <c>ca_list</c>.
/// </summary>
public sealed class ServerOnlyVerifyClientTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    private static TlsModuleOptions ModuleParameters(VerifyClientMode verifyClient) => new()
    {
        Certificate = Pki.ServerEcCertificate,
        PrivateKey = Pki.ServerEcKey,
        CaList = Pki.RootCaCertificate,
        VerifyCertificate = true,
        RequireCertificate = true,
        VerifyClient = verifyClient,
    };

    [Theory]
    [InlineData(VerifyClientMode.OptionalNoCa)]
    [InlineData(VerifyClientMode.Optional)]
    [InlineData(VerifyClientMode.Off)]
    public void An_outgoing_connection_verifies_the_server_whatever_verify_client_says(VerifyClientMode verifyClient)
    {
        using var selfSigned = new SelfSignedServer();
        using TlsModule module = TlsModule.Create(ModuleParameters(verifyClient));
        using OpenSslProcess server = OpenSslProcess.StartServer("-cert", selfSigned.Certificate, "-key", selfSigned.Key);

        Socket socket = LoopbackTcp.Connect(server.Port, OpenSslInterop.Timeout);
        using var peer = new SocketTlsPeer(socket, module.OpenConnection(new IPEndPoint(IPAddress.Loopback, server.Port)));

        Assert.False(peer.WaitForHandshake(OpenSslInterop.Timeout), $"completed against a self-signed server with verify_client={verifyClient}");
        Assert.Contains("self-signed certificate", peer.Connection.Failure?.Message ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void The_server_side_still_takes_any_client_certificate_under_optional_no_ca()
    {
        using TlsModule module = TlsModule.Create(ModuleParameters(VerifyClientMode.OptionalNoCa));

        (bool established, string detail) = SecurityTestSupport.TryHandshake(module, "-tls1_2", "-cert", Pki.UntrustedClientCertificate, "-key", Pki.UntrustedClientKey);
        Assert.True(established, detail);

        // require_certificate still applies: no certificate, no connection.
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_2").Established);
    }

    [Theory]
    [InlineData(VerifyClientMode.On, false)]
    [InlineData(VerifyClientMode.Optional, false)]
    [InlineData(VerifyClientMode.OptionalNoCa, true)]
    public void On_a_client_profile_verify_client_never_loosens_and_optional_no_ca_alone_verifies_nothing(VerifyClientMode verifyClient, bool completes)
    {
        // on/optional still make a client verify the server, as in Kamailio (never weaker than the file says);
        // optional_no_ca alone leaves it unverified, as Kamailio's accept-anything callback did, but never overrides verify_certificate.
        using var selfSigned = new SelfSignedServer();
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { CaList = Pki.RootCaCertificate, VerifyClient = verifyClient });
        using OpenSslProcess server = OpenSslProcess.StartServer("-cert", selfSigned.Certificate, "-key", selfSigned.Key);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, client);

        Assert.Equal(completes, peer.WaitForHandshake(OpenSslInterop.Timeout));
        if (completes)
        {
            Assert.False(peer.Connection.Info!.PeerVerified);
        }
    }

    /// <summary>A throw-away self-signed EC certificate and key.</summary>
    private sealed class SelfSignedServer : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("openssltls-selfsigned-").FullName;

        public SelfSignedServer()
        {
            OpenSslCli.RunChecked(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", Key, "-out", Certificate, "-subj", "/CN=self-signed.test", "-days", "2"]);
        }

        public string Certificate => Path.Combine(_directory, "cert.pem");

        public string Key => Path.Combine(_directory, "key.pem");

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
