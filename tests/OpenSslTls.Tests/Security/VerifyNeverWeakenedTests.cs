using OpenSslTls.Interop;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Client verification is exactly the selected profile's, never a leftover of another one: after an SNI switch the
/// connection has the SNI profile's verify mode, depth and CA list (both ways: stricter and looser than the profile the
/// address chose), and after a reload new connections have the new file's settings while a failed reload changes
/// nothing. Shown with <c>openssl s_client</c> against a <see cref="TlsModule"/> reading a tls.cfg.
/// </summary>
public sealed unsafe class VerifyNeverWeakenedTests : NativeLeakCheck
{
    private const string Sni = TestPki.SniServerName;

    private static TestPki Pki => TestPki.Instance;

    private static string[] WithClientCertificate(params string[] args) => [.. args, "-cert", Pki.ClientCertificate, "-key", Pki.ClientKey];

    /// <summary>A tls.cfg: <c>[server:default]</c> with <paramref name="defaultKeys"/>; an <c>any</c> profile for the SNI name with <paramref name="sniKeys"/>.</summary>
    private static void WriteConfig(TlsConfigFile config, string defaultKeys, string sniKeys) => File.WriteAllText(config.Path, $"""
        [server:default]
        certificate = {Pki.ServerEcCertificate}
        private_key = {Pki.ServerEcKey}
        {defaultKeys}

        [server:any]
        server_name = {Sni}
        certificate = {Pki.SniServerCertificate}
        private_key = {Pki.SniServerKey}
        {sniKeys}

        [client:default]
        """);

    private const string Relaxed = "verify_client = off";

    private static string Strict => $"require_certificate = yes\nverify_certificate = yes\nca_list = {Pki.RootCaCertificate}";

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public void An_SNI_profile_that_requires_client_certificates_refuses_a_client_without_one(string version)
    {
        using var config = new TlsConfigFile();
        WriteConfig(config, Relaxed, Strict);
        using TlsModule module = TlsModule.Create(config.Options());

        Assert.False(SecurityTestSupport.TryHandshake(module, version, "-servername", Sni).Established);
        (bool withCertificate, string detail) = SecurityTestSupport.TryHandshake(module, WithClientCertificate(version, "-servername", Sni));
        Assert.True(withCertificate, detail);

        // The address-selected default still serves clients without a certificate that name no (or another) host.
        Assert.True(SecurityTestSupport.TryHandshake(module, version).Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, version, "-servername", "other.example.test").Established);
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public void An_SNI_profile_that_does_not_ask_for_certificates_applies_exactly_on_a_strict_default(string version)
    {
        using var config = new TlsConfigFile();
        WriteConfig(config, Strict, Relaxed);
        using TlsModule module = TlsModule.Create(config.Options());

        Assert.False(SecurityTestSupport.TryHandshake(module, version).Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, version, "-servername", Sni).Established);
    }

    [Fact]
    public void The_SNI_profile_CA_list_decides_which_client_certificates_verify_and_which_CA_names_are_sent()
    {
        using var config = new TlsConfigFile();
        WriteConfig(config,
            $"verify_client = on\nca_list = {Pki.UntrustedRootCaCertificate}",
            $"verify_client = on\nca_list = {Pki.RootCaCertificate}");
        using TlsModule module = TlsModule.Create(config.Options());

        Assert.False(SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_2")).Established);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_2", "-servername", Sni,
            "-cert", Pki.UntrustedClientCertificate, "-key", Pki.UntrustedClientKey).Established);

        (SocketTlsPeer peer, OpenSslProcess client) = SecurityTestSupport.ServeOne(module, WithClientCertificate("-tls1_2", "-servername", Sni));
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(OpenSslInterop.Timeout), peer.Connection.Failure?.Message ?? client.Output);
            Assert.True(peer.Connection.Info!.PeerVerified);
            Assert.True(client.WaitForOutput("Acceptable client certificate CA names", OpenSslInterop.Timeout), client.Output);
            Assert.Matches(OpenSslOutput.NamePattern("CN", TestPki.RootCaName), client.Output);
            Assert.DoesNotContain(TestPki.UntrustedRootCaName, client.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public void An_optional_no_ca_default_never_lends_its_accept_anything_callback_to_a_strict_SNI_profile(string version)
    {
        // Found by this review: SSL_set_verify keeps the old callback when the new profile has none, so a client
        // certificate from an unknown CA (or an expired one) passed a verify_client = on SNI profile.
        using var config = new TlsConfigFile();
        WriteConfig(config,
            $"verify_client = optional_no_ca\nca_list = {Pki.RootCaCertificate}",
            $"verify_client = on\nca_list = {Pki.RootCaCertificate}");
        using TlsModule module = TlsModule.Create(config.Options());
        string[] untrusted = ["-cert", Pki.UntrustedClientCertificate, "-key", Pki.UntrustedClientKey];
        string[] expired = ["-cert", Pki.ExpiredClientCertificate, "-key", Pki.ExpiredClientKey];

        (bool accepted, string detail) = SecurityTestSupport.TryHandshake(module, [version, "-servername", Sni, .. untrusted]);
        Assert.False(accepted, detail);
        Assert.Contains("verification failed", detail, StringComparison.Ordinal);
        Assert.False(SecurityTestSupport.TryHandshake(module, [version, "-servername", Sni, .. expired]).Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, WithClientCertificate(version, "-servername", Sni)).Established);

        // Without SNI the default's optional_no_ca applies, as configured: any certificate is taken (and reported unverified).
        Assert.True(SecurityTestSupport.TryHandshake(module, [version, .. untrusted]).Established);
    }

    [Theory]
    [InlineData(0, 1, true)]
    [InlineData(1, 0, false)]
    public void The_SNI_profile_verify_depth_applies_not_the_initial_one(int defaultDepth, int sniDepth, bool acceptedWithSni)
    {
        // Kamailio keeps the depth of the address-selected profile; here the switched connection takes the SNI profile's.
        IntermediateChain chain = IntermediateChain.Instance;
        using var config = new TlsConfigFile();
        WriteConfig(config,
            $"verify_client = on\nca_list = {Pki.RootCaCertificate}\nverify_depth = {defaultDepth}",
            $"verify_client = on\nca_list = {Pki.RootCaCertificate}\nverify_depth = {sniDepth}");
        using TlsModule module = TlsModule.Create(config.Options());

        (bool withSni, string detail) = SecurityTestSupport.TryHandshake(module, ["-tls1_2", "-servername", Sni, .. chain.ClientArgs]);
        Assert.True(acceptedWithSni == withSni, detail);
        string sniDetail = detail;
        (bool withoutSni, detail) = SecurityTestSupport.TryHandshake(module, ["-tls1_2", .. chain.ClientArgs]);
        Assert.True(!acceptedWithSni == withoutSni, detail);
        if (!withSni)
        {
            Assert.Contains("certificate chain too long", sniDetail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(VerifyClientMode.Off, VerifyClientMode.On)]
    [InlineData(VerifyClientMode.On, VerifyClientMode.Off)]
    [InlineData(VerifyClientMode.Optional, VerifyClientMode.OptionalNoCa)]
    [InlineData(VerifyClientMode.OptionalNoCa, VerifyClientMode.On)]
    public void The_switched_connection_holds_exactly_the_SNI_profile_verify_mode_callback_and_depth(VerifyClientMode initialMode, VerifyClientMode sniMode)
    {
        using TlsProfile initial = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings() with
        {
            VerifyClient = initialMode,
            CaList = Pki.UntrustedRootCaCertificate,
            VerifyDepth = 7,
        }, label: "server:default");
        using TlsProfile named = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = Pki.SniServerCertificate,
            PrivateKey = Pki.SniServerKey,
            ServerName = Sni,
            VerifyClient = sniMode,
            CaList = Pki.RootCaCertificate,
            VerifyDepth = 2,
        }, label: "server:sni");
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings() with
        {
            Certificate = Pki.ClientCertificate,
            PrivateKey = Pki.ClientKey,
        });
        using var pair = new TlsPair(initial, client, Sni, selector: (_, name) => name == Sni ? named : null);

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Same(named, pair.Server.Profile);
        SSL* ssl = SecurityTestSupport.EngineOf(pair.Server).Pointer;
        SSL_CTX* wanted = named.Context.Pointer;
        Assert.Equal(Ssl.SSL_CTX_get_verify_mode(wanted), Ssl.SSL_get_verify_mode(ssl));
        Assert.Equal(2, Ssl.SSL_get_verify_depth(ssl));
        // No callback on the profile: the connection's is none or the one that keeps OpenSSL's verdict (SSL_set_verify
        // cannot clear a callback), never the initial profile's accept-anything callback of optional_no_ca.
        nint expected = (nint)Ssl.SSL_CTX_get_verify_callback(wanted);
        nint actual = (nint)Ssl.SSL_get_verify_callback(ssl);
        Assert.True(actual == expected || (expected == 0 && actual == (nint)(delegate* unmanaged[Cdecl]<int, X509_STORE_CTX*, int>)&ServerNameSwitch.KeepVerdict),
            $"verify callback {actual:x} after the switch, profile's {expected:x}");
        Assert.True(Ssl.SSL_get_SSL_CTX(ssl) == wanted);
        Assert.Equal(Ssl.SSL_CTX_get_options(wanted), Ssl.SSL_get_options(ssl));
        Assert.Equal(sniMode != VerifyClientMode.Off, pair.Server.Info!.PeerCertificate is not null);
    }

    [Fact]
    public void A_reload_that_requires_client_certificates_applies_to_every_new_connection()
    {
        using var config = new TlsConfigFile();
        WriteConfig(config, Relaxed, Relaxed);
        using TlsModule module = TlsModule.Create(config.Options());
        Assert.True(SecurityTestSupport.TryHandshake(module, "-tls1_3").Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, "-tls1_3", "-servername", Sni).Established);

        WriteConfig(config, Strict, Strict);
        TlsReloadResult result = module.Reload();

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_3").Established);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_3", "-servername", Sni).Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_3", "-servername", Sni)).Established);
    }

    [Fact]
    public void A_reload_to_looser_settings_applies_as_written_and_a_failed_reload_keeps_the_strict_ones()
    {
        using var config = new TlsConfigFile();
        WriteConfig(config, Strict, Strict);
        using TlsModule module = TlsModule.Create(config.Options());

        // A new file that would relax verification but cannot be loaded (its CA list is missing): nothing changes.
        WriteConfig(config, Relaxed, $"verify_client = optional\nca_list = {Path.Combine(config.Directory, "missing-ca.pem")}");
        TlsReloadResult failed = module.Reload();
        Assert.False(failed.Succeeded);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_2").Established);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_2", "-servername", Sni).Established);

        // A loadable looser file is what the operator asked for: it applies, exactly.
        WriteConfig(config, Relaxed, Strict);
        Assert.True(module.Reload().Succeeded);
        Assert.True(SecurityTestSupport.TryHandshake(module, "-tls1_2").Established);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_2", "-servername", Sni).Established);
    }
}
