using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Connections;

/// <summary>Server connections switching profile on the client's SNI.</summary>
public sealed class ServerNameSwitchTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    private static TlsProfile DefaultServer() => TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), label: "server:default");

    private static TlsProfile SniServer(bool requireClientCertificate = false) => TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
    {
        Certificate = Pki.SniServerCertificate,
        PrivateKey = Pki.SniServerKey,
        ServerName = TestPki.SniServerName,
        CaList = Pki.RootCaCertificate,
        VerifyClient = requireClientCertificate ? VerifyClientMode.On : VerifyClientMode.Off,
    }, label: "server:sni");

    private static TlsServerNameSelector SelectBy(TlsProfile target) =>
        (current, name) => string.Equals(name, target.Settings.ServerName, StringComparison.OrdinalIgnoreCase) ? target : null;

    [Fact]
    public void A_matching_SNI_switches_to_the_named_profile_and_its_certificate()
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile named = SniServer();
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using var pair = new TlsPair(initial, client, TestPki.SniServerName, selector: SelectBy(named));

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Same(named, pair.Server.Profile);
        Assert.Equal(TestPki.SniServerName, pair.Client.Info!.PeerCertificate!.Subject.CommonName);
        Assert.Equal(TestPki.SniServerName, pair.Server.Info!.LocalCertificate!.Subject.CommonName);
    }

    [Fact]
    public void The_switched_profile_method_decides_the_protocol_version()
    {
        using TlsProfile initial = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(TlsMethod.TLSv1_2), label: "server:default");
        using TlsProfile named = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Method = TlsMethod.TLSv1_3,
            Certificate = Pki.SniServerCertificate,
            PrivateKey = Pki.SniServerKey,
            ServerName = TestPki.SniServerName,
        }, label: "server:sni");

        // The unswitched client asks for a name the default's certificate does not carry: it checks the chain only.
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings() with { VerifyHostname = false });

        using (var switched = new TlsPair(initial, client, TestPki.SniServerName, selector: SelectBy(named)))
        {
            Assert.True(switched.Handshake(), switched.Server.Failure?.Message);
            Assert.Equal("TLSv1.3", switched.Server.Info!.Protocol);
            Assert.Same(named, switched.Server.Profile);
        }

        using var unswitched = new TlsPair(initial, client, "other.example.test", selector: SelectBy(named));
        Assert.True(unswitched.Handshake());
        Assert.Equal("TLSv1.2", unswitched.Server.Info!.Protocol);
    }

    [Fact]
    public void Another_SNI_keeps_the_initial_profile()
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile named = SniServer();

        // The client asks for a name the initial profile's certificate does not carry: it checks the chain only.
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings() with { VerifyHostname = false });
        using var pair = new TlsPair(initial, client, "other.example.test", selector: SelectBy(named));

        Assert.True(pair.Handshake());
        Assert.Same(initial, pair.Server.Profile);
        Assert.Equal(TestPki.ServerName, pair.Client.Info!.PeerCertificate!.Subject.CommonName);
    }

    [Fact]
    public void The_switched_profile_verification_applies_it_is_never_left_weaker()
    {
        using TlsProfile initial = DefaultServer(); // verify_client off
        using TlsProfile strict = SniServer(requireClientCertificate: true);
        using TlsProfile anonymous = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using TlsProfile withCertificate = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings() with
        {
            Certificate = Pki.ClientCertificate,
            PrivateKey = Pki.ClientKey,
        });

        using (var refused = new TlsPair(initial, anonymous, TestPki.SniServerName, selector: SelectBy(strict)))
        {
            Assert.False(refused.Handshake());
            Assert.Equal(TlsConnectionState.Failed, refused.Server.State);
        }

        using var accepted = new TlsPair(initial, withCertificate, TestPki.SniServerName, selector: SelectBy(strict));
        Assert.True(accepted.Handshake(), accepted.Server.Failure?.Message);
        Assert.True(accepted.Server.Info!.PeerVerified);
        Assert.Equal("alice", accepted.Server.Info.PeerCertificate!.Subject.CommonName);
    }

    [Fact]
    public void A_selector_that_throws_fails_that_handshake_with_its_message()
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using var pair = new TlsPair(initial, client, TestPki.SniServerName, selector: (_, _) => throw new InvalidOperationException("profile store unavailable"));

        Assert.False(pair.Handshake());
        Assert.Contains("profile store unavailable", pair.Server.Failure!.Message, StringComparison.Ordinal);
        var failure = Assert.IsType<TlsCallbackException>(pair.Server.Failure);
        Assert.Equal("SNI profile selector", failure.Callback);
        Assert.IsType<InvalidOperationException>(failure.InnerException);
    }
}
