using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Connections;

/// <summary>Our client profiles against a real <c>openssl s_server</c>.</summary>
public sealed class OpenSslClientSideInteropTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = OpenSslInterop.Timeout;

    private static TestPki Pki => TestPki.Instance;

    private static OpenSslProcess StartServer(string certificate, string key, params string[] extra) =>
        OpenSslProcess.StartServer([.. new[] { "-cert", certificate, "-key", key }, .. extra]);

    [Theory]
    [InlineData("valid", true, true)]
    [InlineData("untrusted", true, false)]
    [InlineData("expired", true, false)]
    [InlineData("untrusted", false, true)]
    [InlineData("expired", false, true)]
    public void The_client_verifies_the_server_certificate_when_asked(string kind, bool verify, bool accepted)
    {
        (string certificate, string key) = kind switch
        {
            "untrusted" => (Pki.UntrustedServerCertificate, Pki.UntrustedServerKey),
            "expired" => (Pki.ExpiredServerCertificate, Pki.ExpiredServerKey),
            _ => (Pki.ServerEcCertificate, Pki.ServerEcKey),
        };
        using TlsProfile profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { CaList = Pki.RootCaCertificate, VerifyCertificate = verify });
        using OpenSslProcess server = StartServer(certificate, key);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, profile);

        Assert.Equal(accepted, peer.WaitForHandshake(Timeout));
        if (accepted)
        {
            Assert.Equal(kind == "valid", peer.Connection.Info!.PeerVerified);
            Assert.Equal(kind == "expired", peer.Connection.Info.PeerExpired);
            peer.Send("ping\n");
            Assert.True(server.WaitForOutput("ping", Timeout), server.Output);
        }
        else
        {
            string expected = kind == "expired" ? "certificate has expired" : "unable to get local issuer certificate";
            Assert.Contains(expected, peer.Connection.Failure!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Optional_no_ca_on_a_client_never_fails_and_reports_the_result()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { CaList = Pki.RootCaCertificate, VerifyClient = VerifyClientMode.OptionalNoCa });
        using OpenSslProcess server = StartServer(Pki.UntrustedServerCertificate, Pki.UntrustedServerKey);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, profile);

        Assert.True(peer.WaitForHandshake(Timeout));
        Assert.False(peer.Connection.Info!.PeerVerified);
        Assert.NotEqual(TlsConnectionInfo.VerifyOk, peer.Connection.Info.VerifyResult);
        Assert.Contains("unable to", peer.Connection.Info.VerifyResultText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hashed_ca_path_directory_verifies_the_server()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { CaPath = Pki.CaPathDirectory, VerifyCertificate = true });
        using OpenSslProcess server = StartServer(Pki.ServerEcCertificate, Pki.ServerEcKey);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, profile);

        Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message);
        Assert.True(peer.Connection.Info!.PeerVerified);
    }

    [Fact]
    public void A_ca_path_that_is_not_a_directory_fails_at_build()
    {
        var error = Assert.Throws<TlsProfileException>(() =>
            TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { CaPath = Pki.RootCaCertificate, VerifyCertificate = true }));

        Assert.Equal("ca_path", error.Parameter);
        Assert.Contains(Pki.RootCaCertificate, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_client_sends_SNI_and_s_server_switches_to_the_matching_certificate()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { CaList = Pki.RootCaCertificate, VerifyCertificate = true });
        using OpenSslProcess server = StartServer(Pki.ServerEcCertificate, Pki.ServerEcKey,
            "-servername", TestPki.SniServerName, "-cert2", Pki.SniServerCertificate, "-key2", Pki.SniServerKey);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, profile, TestPki.SniServerName);

        Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message);
        Assert.True(server.WaitForOutput($"{OpenSslOutput.ServerSniReceived}\"{TestPki.SniServerName}\"", Timeout), server.Output);
        Assert.Equal(TestPki.SniServerName, peer.Connection.Info!.ServerName);
        Assert.Equal(TestPki.SniServerName, peer.Connection.Info.PeerCertificate!.Subject.CommonName);
    }

    [Fact]
    public void The_profile_server_name_is_sent_when_the_connection_names_none()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { ServerName = TestPki.SniServerName });

        // -servername_fatal: any other name than the one expected ends the handshake with an alert.
        using OpenSslProcess server = StartServer(Pki.ServerEcCertificate, Pki.ServerEcKey,
            "-servername", TestPki.SniServerName, "-servername_fatal", "-cert2", Pki.SniServerCertificate, "-key2", Pki.SniServerKey);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, profile);

        Assert.True(peer.WaitForHandshake(Timeout), $"{peer.Connection.Failure?.Message} {server.Output}");
        Assert.True(server.WaitForOutput($"{OpenSslOutput.ServerSniReceived}\"{TestPki.SniServerName}\"", Timeout), server.Output);
        Assert.Contains("Switching server context.", server.Output, StringComparison.Ordinal);
        Assert.Equal(TestPki.SniServerName, peer.Connection.Info!.ServerName);
        Assert.Equal(TestPki.SniServerName, peer.Connection.Info.PeerCertificate!.Subject.CommonName);
    }

    [Fact]
    public void A_profile_server_name_the_server_does_not_expect_is_refused_so_the_name_is_checked_exactly()
    {
        // The other side of the check above: s_server sees exactly the profile's name, so a wrong one is refused.
        using TlsProfile profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { ServerName = "other.example.test" });
        using OpenSslProcess server = StartServer(Pki.ServerEcCertificate, Pki.ServerEcKey,
            "-servername", TestPki.SniServerName, "-servername_fatal", "-cert2", Pki.SniServerCertificate, "-key2", Pki.SniServerKey);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, profile);

        Assert.False(peer.WaitForHandshake(Timeout), server.Output);
        Assert.True(server.WaitForOutput("final_server_name:callback failed", Timeout), server.Output);
    }

    [Fact]
    public void A_client_certificate_is_presented_to_a_server_that_requires_one()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings
        {
            Certificate = Pki.ClientCertificate,
            PrivateKey = Pki.ClientKey,
            CaList = Pki.RootCaCertificate,
            VerifyCertificate = true,
        });
        using OpenSslProcess server = StartServer(Pki.ServerEcCertificate, Pki.ServerEcKey, "-Verify", "2", "-CAfile", Pki.RootCaCertificate);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, profile);

        Assert.True(peer.WaitForHandshake(Timeout));
        peer.Send("REGISTER\n");
        Assert.True(server.WaitForOutput("REGISTER", Timeout), server.Output);
        Assert.Matches("subject=" + OpenSslOutput.NamePattern("CN", "alice"), server.Output);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void s_server_sees_a_clean_close_only_with_close_notify(bool sendCloseNotify)
    {
        var runtime = new TlsRuntimeParameters { SendCloseNotify = sendCloseNotify };
        using TlsProfile profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings(), runtime: runtime);
        using OpenSslProcess server = StartServer(Pki.ServerEcCertificate, Pki.ServerEcKey);
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, profile);
        Assert.True(peer.WaitForHandshake(Timeout));

        peer.Close();

        // s_server ends a connection with "DONE" on close_notify, and reports "unexpected eof" (stderr) then
        // "ERROR" (stdout) on a bare TCP close; the two streams may arrive in either order, so wait for the one expected.
        string expected = sendCloseNotify ? "DONE" : "unexpected eof";
        Assert.True(server.WaitForOutput(expected, Timeout), server.Output);
        Assert.DoesNotContain(sendCloseNotify ? "unexpected eof" : "DONE", server.Output, StringComparison.Ordinal);
    }
}
