using System.Net;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Configuration;

/// <summary>Building whole profile sets with real certificates: modparam mode, file mode, all-or-nothing failures, selection.</summary>
public sealed class TlsProfileSetTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    private static IPEndPoint At(string endPoint) => IPEndPoint.Parse(endPoint);

    /// <summary>A tls.cfg using the test PKI: default server and client, a loopback profile, an SNI profile and a server_id client.</summary>
    private static string SampleConfig => $"""
        [server:default]
        certificate = {Pki.ServerEcCertificate}
        private_key = {Pki.ServerEcKey}

        [client:default]
        verify_certificate = yes
        ca_list = {Pki.RootCaCertificate}

        [server:127.0.0.1:0]
        certificate = {Pki.ServerRsaCertificate}
        private_key = {Pki.ServerRsaKey}
        verify_client = optional
        ca_list = {Pki.RootCaCertificate}

        [server:any]
        server_name = {TestPki.SniServerName}
        certificate = {Pki.SniServerCertificate}
        private_key = {Pki.SniServerKey}
        verify_client = optional
        ca_list = {Pki.RootCaCertificate}

        [client:any]
        server_name = peer.example
        server_id = peer
        certificate = {Pki.ClientCertificate}
        private_key = {Pki.ClientKey}
        """;

    [Fact]
    public void Modparam_mode_builds_one_template_as_server_and_client_default()
    {
        var options = new TlsModuleOptions
        {
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = Pki.ServerEcKey,
            CaList = Pki.RootCaCertificate,
            ServerName = "sip.example.org",
            VerifyDepth = 4,
            SendCloseNotify = true,
        };

        using TlsProfileSet set = TlsProfileSet.Load(options);

        Assert.Equal(["server:default", "client:default"], set.Profiles.Select(p => p.Label));
        Assert.Equal(set.ServerDefault.Settings, set.ClientDefault.Settings);
        Assert.Equal("sip.example.org", set.ClientDefault.Settings.ServerName);
        Assert.Equal(4, set.ServerDefault.Settings.VerifyDepth);
        Assert.True(set.Runtime.SendCloseNotify);
        Assert.Same(set.Runtime, set.ClientDefault.Runtime);
        Assert.Same(set.ServerDefault, set.SelectServer(At("10.1.2.3:5061")));
        Assert.Same(set.ClientDefault, set.SelectClient(At("10.1.2.3:5061"), "x", "y"));
    }

    [Fact]
    public void Modparam_mode_sends_the_server_name_modparam_as_sni()
    {
        var options = new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey, ServerName = TestPki.ServerName };
        using TlsProfileSet set = TlsProfileSet.Load(options);
        using var pair = new TlsPair(set.ServerDefault, set.ClientDefault);

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Equal(TestPki.ServerName, pair.Server.Info!.ServerName);
    }

    [Fact]
    public void File_mode_builds_every_section_and_selects_among_them()
    {
        using var directory = new TempDirectory();
        directory.Write("tls.cfg", SampleConfig);
        var options = new TlsModuleOptions { Config = "tls.cfg", MainConfigDirectory = directory.Path, Certificate = "/ignored-in-file-mode.pem" };

        using TlsProfileSet set = TlsProfileSet.Load(options);

        Assert.Equal(
            ["server:default", "client:default", "server:127.0.0.1:0", $"server:any/{TestPki.SniServerName}", "client:any/peer.example"],
            set.Profiles.Select(p => p.Label));
        TlsProfile loopback = set.SelectServer(At("127.0.0.1:5061"));
        Assert.Equal("server:127.0.0.1:0", loopback.Label);
        Assert.Same(set.ServerDefault, set.SelectServer(At("127.0.0.2:5061")));
        Assert.Equal($"server:any/{TestPki.SniServerName}", set.SelectServerBySni(loopback, At("127.0.0.1:5061"), TestPki.SniServerName)!.Label);
        Assert.Null(set.SelectServerBySni(loopback, At("127.0.0.1:5061"), "unknown.example"));
        Assert.Equal("client:any/peer.example", set.SelectClient(At("192.0.2.1:5061"), serverId: "peer").Label);
        Assert.Equal("client:any/peer.example", set.SelectClient(At("192.0.2.1:5061"), "peer.example").Label);
        Assert.Same(set.ClientDefault, set.SelectClient(At("192.0.2.1:5061"), "other.example"));
        Assert.Equal(Path.Combine(directory.Path, "tls.cfg") + ":9:1", set.GetDefinition(loopback).Source);
    }

    [Fact]
    public void A_connection_on_the_sni_selected_profile_presents_that_profiles_certificate()
    {
        using TlsProfileSet set = TlsProfileSet.Build(TlsConfigReader.Parse(SampleConfig, "tls.cfg").Profiles);
        TlsProfile server = set.SelectServerBySni(set.SelectServer(At("10.0.0.1:5061")), At("10.0.0.1:5061"), TestPki.SniServerName)!;
        using var pair = new TlsPair(server, set.ClientDefault, TestPki.SniServerName);

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Equal(TestPki.SniServerName, pair.Client.Info!.PeerCertificate!.Subject.CommonName);
    }

    [Fact]
    public void A_server_connection_switches_to_the_profile_its_sni_selects()
    {
        using TlsProfileSet set = TlsProfileSet.Build(TlsConfigReader.Parse(SampleConfig, "tls.cfg").Profiles);
        using var pair = new TlsPair(set.CreateServerConnection(At("127.0.0.1:5061")), set.CreateClientConnection(At("127.0.0.1:5061"), TestPki.SniServerName));

        Assert.Equal("server:127.0.0.1:0", pair.Server.Profile.Label);
        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Equal($"server:any/{TestPki.SniServerName}", pair.Server.Profile.Label);
        Assert.Equal(TestPki.SniServerName, pair.Client.Info!.PeerCertificate!.Subject.CommonName);
        Assert.Equal(TestPki.SniServerName, pair.Server.Info!.ServerName);
    }

    [Fact]
    public void A_server_connection_keeps_its_address_profile_when_the_sni_matches_nothing()
    {
        using TlsProfileSet set = TlsProfileSet.Build(TlsConfigReader.Parse(SampleConfig, "tls.cfg").Profiles);

        // The client asks for a name the address profile's certificate does not carry (the test is about the server's
        // choice): the client profile the set selects, checking the chain only (verify_hostname = no).
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, set.SelectClient(At("127.0.0.1:5061"), "unknown.example").Settings with { VerifyHostname = false });
        using var pair = new TlsPair(set.CreateServerConnection(At("127.0.0.1:5061")), client.CreateConnection("unknown.example"));

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Equal("server:127.0.0.1:0", pair.Server.Profile.Label);
        Assert.Equal(TestPki.ServerName, pair.Client.Info!.PeerCertificate!.Subject.CommonName);
    }

    [Fact]
    public void A_client_connection_uses_the_profile_its_server_id_selects()
    {
        using TlsProfileSet set = TlsProfileSet.Build(TlsConfigReader.Parse(SampleConfig, "tls.cfg").Profiles);
        using TlsConnection client = set.CreateClientConnection(At("192.0.2.1:5061"), serverId: "peer");

        Assert.Equal("client:any/peer.example", client.Profile.Label);
    }

    [Fact]
    public void The_sni_hook_of_a_disposed_set_fails_instead_of_keeping_the_address_profile()
    {
        // Issue 15 item 6: it used to return null, and the handshake went on with the address profile (fail open).
        TlsProfileSet set = TlsProfileSet.Build(TlsConfigReader.Parse(SampleConfig, "tls.cfg").Profiles);
        TlsServerNameSelector selector = set.ServerNameSelectorFor(At("127.0.0.1:5061"));
        TlsProfile current = set.SelectServer(At("127.0.0.1:5061"));

        set.Dispose();

        Assert.Throws<ObjectDisposedException>(() => selector(current, TestPki.SniServerName));
        Assert.Throws<ObjectDisposedException>(() => selector(current, "unknown.example"));
    }

    [Fact]
    public void Building_is_all_or_nothing_and_lists_every_failing_profile()
    {
        using var directory = new TempDirectory();
        string missing = Path.Combine(directory.Path, "missing.pem");
        string config = SampleConfig + $"""


            [server:10.9.9.9:5061]
            certificate = {missing}

            [client:10.9.9.9:5061]
            cipher_list = NO-SUCH-CIPHER
            """;
        directory.Write("tls.cfg", config);

        var error = Assert.Throws<TlsProfileSetException>(() =>
            TlsProfileSet.Load(new TlsModuleOptions { Config = Path.Combine(directory.Path, "tls.cfg") }));

        Assert.Equal(["server:10.9.9.9:5061", "client:10.9.9.9:5061"], error.Failures.Select(f => f.Profile));
        Assert.Equal(["certificate", "cipher_list"], error.Failures.Select(f => f.Parameter));
        Assert.Contains($"cannot load certificate chain '{missing}'", error.Failures[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("TLS profiles could not be built (2 profiles failed; none was kept):", error.Message, StringComparison.Ordinal);
        int line = Array.IndexOf(config.Split('\n'), "[server:10.9.9.9:5061]") + 1;
        Assert.Contains($"{Path.Combine(directory.Path, "tls.cfg")}:{line}:1: profile server:10.9.9.9:5061: certificate:", error.Message, StringComparison.Ordinal);
        Assert.Same(error.Failures[0], error.InnerException);

        // NativeLeakCheck (on dispose) proves the five profiles that did build were freed.
    }

    [Fact]
    public void A_missing_server_default_is_implied_with_cert_pem_from_the_main_directory()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(Path.Combine(directory.Path, "cert.pem"), File.ReadAllText(Pki.ServerEcCertificate) + File.ReadAllText(Pki.ServerEcKey));

        using TlsProfileSet set = TlsProfileSet.Build(
            [TlsProfileDefinition.ForAddress(TlsRole.Client, IPAddress.Loopback, 5061, new TlsProfileSettings())],
            mainConfigDirectory: directory.Path);

        Assert.Equal(["server:default", "client:default", "client:127.0.0.1:5061"], set.Profiles.Select(p => p.Label));
        Assert.Equal(Path.Combine(directory.Path, "cert.pem"), set.ServerDefault.Settings.Certificate);
        Assert.Equal(Path.Combine(directory.Path, "cert.pem"), set.ServerDefault.Settings.PrivateKey);
        Assert.Null(set.ClientDefault.Settings.Certificate);
    }

    [Fact]
    public void Without_cert_pem_the_implied_server_default_fails_like_kamailio()
    {
        using var directory = new TempDirectory();

        var error = Assert.Throws<TlsProfileSetException>(() => TlsProfileSet.Build([], mainConfigDirectory: directory.Path));

        TlsProfileException failure = Assert.Single(error.Failures);
        Assert.Equal(("server:default", "certificate"), (failure.Profile, failure.Parameter));
    }

    [Fact]
    public void A_client_only_set_implies_no_server_default_and_refuses_server_selection()
    {
        using var directory = new TempDirectory();

        using TlsProfileSet set = TlsProfileSet.Build(
            [TlsProfileDefinition.ForAddress(TlsRole.Client, IPAddress.Loopback, 5061, new TlsProfileSettings())],
            mainConfigDirectory: directory.Path,
            clientOnly: true);

        Assert.Equal(["client:default", "client:127.0.0.1:5061"], set.Profiles.Select(p => p.Label));
        Assert.False(set.HasServerDefault);
        Assert.Contains("outgoing connections only", Assert.Throws<InvalidOperationException>(() => set.ServerDefault).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => set.SelectServer(At("127.0.0.1:5061")));
        Assert.Equal("client:127.0.0.1:5061", set.SelectClient(At("127.0.0.1:5061")).Label);
        Assert.Same(set.ClientDefault, set.SelectClient(At("127.0.0.2:5061")));
    }

    [Fact]
    public void A_client_only_set_still_builds_the_server_profiles_it_declares()
    {
        TlsProfileSettings server = new() { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey };
        using TlsProfileSet set = TlsProfileSet.Build([TlsProfileDefinition.ForDefault(TlsRole.Server, server)], clientOnly: true);
        Assert.True(set.HasServerDefault);
        Assert.Same(set.ServerDefault, set.SelectServer(At("127.0.0.1:5061")));

        var error = Assert.Throws<TlsProfileSetException>(() => TlsProfileSet.Build(
            [TlsProfileDefinition.ForAddress(TlsRole.Server, IPAddress.Loopback, 5061, new TlsProfileSettings { Certificate = "/nonexistent/cert.pem" })],
            clientOnly: true));
        Assert.Equal("server:127.0.0.1:5061", Assert.Single(error.Failures).Profile);
    }

    [Fact]
    public void Definitions_from_code_are_checked_with_the_file_rules()
    {
        TlsProfileSettings named = new() { ServerName = "a.example" };
        var error = Assert.Throws<TlsConfigurationException>(() => TlsProfileSet.Build(
        [
            TlsProfileDefinition.ForAny(TlsRole.Server, new TlsProfileSettings()),
            TlsProfileDefinition.ForDefault(TlsRole.Client, named),
            TlsProfileDefinition.ForDefault(TlsRole.Client, named),
            TlsProfileDefinition.ForAddress(TlsRole.Server, IPAddress.Loopback, 70000, named),
        ]));

        Assert.Equal(
            [
                "server:any: [server:any] has no server_name: 'any' profiles are selected by SNI only, so they need one",
                "client:default: duplicate [client:default] section: there can be only one",
                "server:127.0.0.1:70000/a.example: port must be 0..65535, not 70000",
            ],
            error.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Invalid_options_are_rejected_before_anything_is_built()
    {
        var error = Assert.Throws<TlsConfigurationException>(() => TlsProfileSet.Load(new TlsModuleOptions { VerifyDepth = -1, ClearTextQueueMax = -5 }));

        Assert.Equal(["verify_depth", "ct_wq_max"], error.Errors.Select(e => e.File));
    }

    [Fact]
    public void A_tls_cfg_error_is_reported_before_anything_is_built()
    {
        using var directory = new TempDirectory();
        string file = directory.Write("tls.cfg", "[server:default]\nbogus = 1\n");

        var error = Assert.Throws<TlsConfigurationException>(() => TlsProfileSet.Load(new TlsModuleOptions { Config = file }));

        Assert.Equal($"{file}:2:1: Unsupported option 'bogus'", Assert.Single(error.Errors).ToString());
    }

    [Fact]
    public void A_shared_runtime_is_kept_across_loads()
    {
        var runtime = new TlsRuntimeParameters { ConnectionTimeout = 5 };
        var options = new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey, ConnectionTimeout = 600 };

        using TlsProfileSet set = TlsProfileSet.Load(options, runtime);

        Assert.Same(runtime, set.Runtime);
        Assert.Equal(5, set.ServerDefault.Runtime.ConnectionTimeout);
    }

    [Fact]
    public void Sni_selection_rejects_client_profiles_and_definitions_only_exist_for_own_profiles()
    {
        var options = new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey };
        using TlsProfileSet set = TlsProfileSet.Load(options);
        using TlsProfileSet other = TlsProfileSet.Load(options);

        Assert.Throws<ArgumentException>(() => set.SelectServerBySni(set.ClientDefault, At("10.0.0.1:1"), "a"));
        Assert.Throws<ArgumentException>(() => set.GetDefinition(other.ClientDefault));
    }

    [Fact]
    public void After_a_reload_sni_of_an_older_connection_is_looked_up_in_the_new_set()
    {
        using TlsProfileSet older = TlsProfileSet.Load(new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey });
        using TlsProfileSet current = TlsProfileSet.Build(TlsConfigReader.Parse(SampleConfig, "tls.cfg").Profiles);

        TlsProfile? selected = current.SelectServerBySni(older.ServerDefault, At("10.0.0.1:5061"), TestPki.SniServerName);

        Assert.Equal($"server:any/{TestPki.SniServerName}", selected!.Label);
        Assert.Null(current.SelectServerBySni(older.ServerDefault, At("10.0.0.1:5061"), "unknown.example"));
    }

    [Fact]
    public void A_disposed_set_refuses_selection_and_disposing_twice_is_harmless()
    {
        TlsProfileSet set = TlsProfileSet.Load(new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey });
        TlsProfile server = set.ServerDefault;

        set.Dispose();
        set.Dispose();

        Assert.Throws<ObjectDisposedException>(() => set.SelectServer(At("10.0.0.1:1")));
        Assert.Throws<ObjectDisposedException>(() => set.SelectClient(At("10.0.0.1:1")));
        Assert.Throws<ObjectDisposedException>(() => set.SelectServerBySni(server, At("10.0.0.1:1"), "a"));
    }

    [Fact]
    public void Connections_outlive_the_set_that_made_them()
    {
        TlsProfileSet set = TlsProfileSet.Build(TlsConfigReader.Parse(SampleConfig, "tls.cfg").Profiles);
        using var pair = new TlsPair(set.ServerDefault, set.ClientDefault, TestPki.ServerName);

        set.Dispose();

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
    }
}
