using System.Net;
using OpenSslTls.Certificates;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// A client that verifies the server also checks that the certificate names the server (issue 15, item 3): a
/// certificate of the right CA for another name is refused with both names in the failure; names match as RFC 5922
/// says (DNS and <c>sip:</c> URI subjectAltNames, the CN only without them, no partial wildcards); IP targets match IP
/// subjectAltNames; <c>verify_hostname = no</c> turns it off; the validation callback decides, and its exception refuses.
/// </summary>
public sealed class HostNameVerificationTests : NativeLeakCheck
{
    private const string Victim = HostNamePki.Victim;

    private static HostNamePki Names => HostNamePki.Instance;

    private static TlsProfile Server(string certificate) => TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
    {
        Certificate = Names.Certificate(certificate),
        PrivateKey = Names.Key(certificate),
    });

    private static TlsProfileSettings VerifyingClient => new()
    {
        VerifyCertificate = true,
        RequireCertificate = true,
        CaList = TestPki.Instance.RootCaCertificate,
    };

    /// <summary>One in-memory handshake of a verifying client (or <paramref name="client"/>) to a server presenting <paramref name="certificate"/>.</summary>
    private static (bool Established, TlsConnectionInfo? Info, TlsException? Failure) Connect(
        string certificate, string? serverName, TlsProfileSettings? client = null, TlsCertificateValidationCallback? callback = null)
    {
        using TlsProfile server = Server(certificate);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, client ?? VerifyingClient);
        using var pair = new TlsPair(server.CreateConnection(), clientProfile.CreateConnection(serverName, certificateValidation: callback));
        bool established = pair.Handshake();
        return (established, pair.Client.Info, pair.Client.Failure);
    }

    [Fact]
    public void The_right_name_is_accepted_and_another_name_of_the_same_CA_is_refused_naming_both()
    {
        (bool established, TlsConnectionInfo? info, _) = Connect("victim", Victim);
        Assert.True(established);
        Assert.True(info!.PeerVerified);

        // The reproduction: a CA-signed certificate for CN=attacker.test offered for sip.victim.test.
        (established, _, TlsException? failure) = Connect("attacker", Victim);
        Assert.False(established);
        Assert.Contains("hostname mismatch", failure!.Message, StringComparison.Ordinal);
        Assert.Contains($"expected '{Victim}'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("DNS:attacker.test", failure.Message, StringComparison.Ordinal);
        Assert.Contains("CN=attacker.test", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_profile_server_name_is_the_expected_name_when_the_connection_gives_none()
    {
        Assert.True(Connect("victim", null, VerifyingClient with { ServerName = Victim }).Established);
        Assert.False(Connect("attacker", null, VerifyingClient with { ServerName = Victim }).Established);

        // No name known and no address: only the chain is checked, as before.
        Assert.True(Connect("attacker", null).Established);
    }

    [Fact]
    public void A_wildcard_matches_one_whole_label_and_a_partial_wildcard_never()
    {
        Assert.True(Connect("wildcard", Victim).Established);
        Assert.False(Connect("wildcard", "a.b.victim.test").Established);
        (bool established, _, TlsException? failure) = Connect("partial-wildcard", Victim);
        Assert.False(established);
        Assert.Contains("DNS:s*.victim.test", failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sip_URI_subjectAltName_whose_host_is_the_name_matches()
    {
        Assert.True(Connect("sip-uri", Victim).Established);
        Assert.True(Connect("sip-uri-with-user", Victim).Established);
        Assert.False(Connect("sip-uri", "attacker.test").Established);
        Assert.False(Connect("sip-uri", "other.victim.test").Established);
    }

    [Fact]
    public void The_CN_counts_only_when_there_is_no_DNS_or_sip_URI_subjectAltName()
    {
        Assert.True(Connect("cn-only", Victim).Established);
        Assert.True(Connect("cn-with-email", Victim).Established);

        (bool established, _, TlsException? failure) = Connect("cn-with-dns", Victim);
        Assert.False(established);
        Assert.Contains("DNS:other.test", failure!.Message, StringComparison.Ordinal);

        // OpenSSL alone would fall back to the CN here (no DNS names); RFC 5922 does not, a sip: URI is a SIP name.
        (established, _, failure) = Connect("sip-uri-other", Victim);
        Assert.False(established);
        Assert.Contains("URI:sip:other.test", failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_IP_address_target_matches_IP_subjectAltNames_only()
    {
        Assert.True(Connect("ip", "192.0.2.7").Established);
        Assert.True(Connect("ip", "2001:db8::7").Established);

        (bool established, _, TlsException? failure) = Connect("ip", "192.0.2.8");
        Assert.False(established);
        Assert.Contains("IP address mismatch", failure!.Message, StringComparison.Ordinal);
        Assert.Contains("expected '192.0.2.8'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("IP:192.0.2.7", failure.Message, StringComparison.Ordinal);

        // A DNS name is no IP address, even when it reads like one in the CN.
        Assert.False(Connect("victim", "192.0.2.7").Established);
    }

    [Fact]
    public void A_module_connection_opened_to_an_address_without_a_name_checks_that_address()
    {
        TestPki pki = TestPki.Instance;
        var options = new TlsModuleOptions { Certificate = null, CaList = pki.RootCaCertificate, VerifyCertificate = true, RequireCertificate = true };
        using TlsModule module = TlsModule.Create(options, new TlsModuleHostOptions { ClientOnly = true });
        using TlsProfile localhost = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = pki.ServerEcCertificate, PrivateKey = pki.ServerEcKey });
        using TlsProfile victim = Server("victim");

        // The test PKI's server certificate carries IP:127.0.0.1; the victim's names no address.
        using (var pair = new TlsPair(localhost.CreateConnection(), module.OpenConnection(new IPEndPoint(IPAddress.Loopback, 5061))))
        {
            Assert.True(pair.Handshake(), pair.Client.Failure?.Message);
        }

        using (var pair = new TlsPair(victim.CreateConnection(), module.OpenConnection(new IPEndPoint(IPAddress.Loopback, 5061))))
        {
            Assert.False(pair.Handshake());
            Assert.Contains("expected '127.0.0.1'", pair.Client.Failure!.Message, StringComparison.Ordinal);
        }

        using (var pair = new TlsPair(victim.CreateConnection(), module.OpenConnection(new IPEndPoint(IPAddress.Loopback, 5061), Victim)))
        {
            Assert.True(pair.Handshake(), pair.Client.Failure?.Message);
        }
    }

    [Fact]
    public void Verify_hostname_off_checks_the_chain_only()
    {
        Assert.True(Connect("attacker", Victim, VerifyingClient with { VerifyHostname = false }).Established);

        // The chain still counts.
        using TlsProfile untrusted = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = TestPki.Instance.UntrustedServerCertificate,
            PrivateKey = TestPki.Instance.UntrustedServerKey,
        });
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, VerifyingClient with { VerifyHostname = false });
        using var pair = new TlsPair(untrusted, client, "localhost");
        Assert.False(pair.Handshake());
    }

    [Fact]
    public void Verify_hostname_is_a_tls_cfg_key_and_is_written_back_only_when_off()
    {
        IReadOnlyList<TlsProfileDefinition> profiles = TlsConfigReader.Parse("""
            [client:default]
            verify_certificate = yes
            verify_hostname = no

            [client:any]
            server_name = sip.victim.test
            """, "tls.cfg").Profiles;
        Assert.False(profiles.Single(p => p.Settings.ServerName is null).Settings.VerifyHostname);
        Assert.True(profiles.Single(p => p.Settings.ServerName is not null).Settings.VerifyHostname);

        string written = TlsConfigWriter.Write(profiles);
        Assert.Single(written.Split('\n'), line => line.StartsWith("verify_hostname", StringComparison.Ordinal));
        Assert.Equal(profiles.Select(p => p.Settings.VerifyHostname), TlsConfigReader.Parse(written, "written.cfg").Profiles.Select(p => p.Settings.VerifyHostname));
    }

    [Fact]
    public void The_validation_callback_sees_the_verdict_and_can_accept_a_mismatch()
    {
        TlsCertificateValidation? seen = null;
        (bool established, TlsConnectionInfo? info, TlsException? failure) = Connect("attacker", Victim, callback: v =>
        {
            seen = v;
            return true;
        });

        Assert.True(established, failure?.Message);
        Assert.NotNull(seen);
        Assert.False(seen.Verified);
        Assert.Equal(62, seen.VerifyResult); // X509_V_ERR_HOSTNAME_MISMATCH
        Assert.Equal(Victim, seen.ExpectedName);
        Assert.Equal("attacker.test", seen.Certificate.Subject.CommonName);
        Assert.Contains("BEGIN CERTIFICATE", seen.Pem, StringComparison.Ordinal);
        using (var x509 = seen.CreateX509Certificate2())
        {
            Assert.Contains("CN=attacker.test", x509.Subject, StringComparison.Ordinal);
        }

        Assert.Equal(TlsConnectionInfo.VerifyOk, info!.VerifyResult);
    }

    [Fact]
    public void The_validation_callback_can_refuse_a_certificate_that_verifies()
    {
        bool? verdict = null;
        (bool established, _, TlsException? failure) = Connect("victim", Victim, callback: v =>
        {
            verdict = v.Verified;
            return false;
        });

        Assert.False(established);
        Assert.True(verdict);
        Assert.Contains("validation callback refused", failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_profile_callback_applies_and_runs_even_when_verification_is_off()
    {
        int calls = 0;
        var settings = new TlsProfileSettings
        {
            CaList = TestPki.Instance.RootCaCertificate,
            CertificateValidation = v =>
            {
                calls++;
                return v.Certificate.Subject.CommonName == Victim;
            },
        };

        Assert.True(Connect("victim", Victim, settings).Established);
        Assert.False(Connect("attacker", Victim, settings).Established);
        Assert.Equal(2, calls);

        // The connection's callback replaces the profile's.
        Assert.True(Connect("attacker", Victim, settings, _ => true).Established);
        Assert.Equal(2, calls);
    }

    [Fact]
    public void A_throwing_validation_callback_refuses_and_the_failure_carries_its_exception()
    {
        var thrown = new InvalidOperationException("policy store unavailable");
        (bool established, _, TlsException? failure) = Connect("victim", Victim, callback: _ => throw thrown);

        Assert.False(established);
        TlsCallbackException callbackFailure = Assert.IsType<TlsCallbackException>(failure);
        Assert.Same(thrown, callbackFailure.InnerException);
        Assert.Contains("certificate validation callback", callbackFailure.Message, StringComparison.Ordinal);
    }
}
