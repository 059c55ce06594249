using OpenSslTls.Module;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Issue 15, item 4: an SNI name never loosens a <c>[server:ip:port]</c> profile. With an address profile that allows
/// TLS 1.3 only and requires client certificates, and a <c>[server:any] server_name = sni.example</c> without either,
/// <c>s_client -tls1_2 -servername sni.example</c> without a certificate used to connect over TLS 1.2. The switch is now
/// refused (the address profile stays) whenever the SNI profile would lower the certificate requirement, the
/// verification, the minimum protocol version or, where the address profile verifies, change its CA list; a profile
/// defined for the same address with that server_name is the operator's explicit way to serve the name differently.
/// </summary>
public sealed class SniNeverLoosensAddressProfileTests : NativeLeakCheck
{
    private const string Sni = "sni.example";

    private static TestPki Pki => TestPki.Instance;

    private static string[] WithClientCertificate(params string[] args) => [.. args, "-cert", Pki.ClientCertificate, "-key", Pki.ClientKey];

    /// <summary>Loopback (every port: the tests listen on random ones) gets <paramref name="addressKeys"/>; the SNI name an <c>any</c> profile with <paramref name="sniKeys"/>.</summary>
    private static TlsModule Module(TlsConfigFile config, string addressKeys, string sniKeys)
    {
        File.WriteAllText(config.Path, $"""
            [server:default]
            certificate = {Pki.ServerEcCertificate}
            private_key = {Pki.ServerEcKey}

            [server:127.0.0.1:0]
            certificate = {Pki.ServerEcCertificate}
            private_key = {Pki.ServerEcKey}
            {addressKeys}

            [server:any]
            server_name = {Sni}
            certificate = {Pki.SniServerCertificate}
            private_key = {Pki.SniServerKey}
            {sniKeys}

            [client:default]
            """);
        return TlsModule.Create(config.Options());
    }

    private static string Required => $"verify_client = on\nca_list = {Pki.RootCaCertificate}";

    [Fact]
    public void The_reproduction_a_TLS12_client_without_certificate_is_refused_on_a_TLS13_only_address_that_requires_one()
    {
        using var config = new TlsConfigFile();
        using TlsModule module = Module(config, $"method = TLSv1.3\n{Required}", "");

        (bool established, string detail) = SecurityTestSupport.TryHandshake(module, "-tls1_2", "-servername", Sni);
        Assert.False(established, detail);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_3", "-servername", Sni).Established);
        Assert.False(SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_2", "-servername", Sni)).Established);

        // The address profile itself still serves what it allows, with or without the name.
        (established, detail) = SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_3", "-servername", Sni));
        Assert.True(established, detail);
        Assert.True(SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_3")).Established);
    }

    [Fact]
    public void An_SNI_profile_that_only_asks_for_a_certificate_does_not_lift_the_requirement()
    {
        using var config = new TlsConfigFile();
        using TlsModule module = Module(config, Required, $"verify_client = optional\nca_list = {Pki.RootCaCertificate}");

        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_3", "-servername", Sni).Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_3", "-servername", Sni)).Established);
    }

    [Fact]
    public void An_SNI_profile_that_accepts_any_certificate_does_not_replace_verification()
    {
        using var config = new TlsConfigFile();
        using TlsModule module = Module(config, Required, $"verify_client = optional_no_ca\nrequire_certificate = yes\nca_list = {Pki.RootCaCertificate}");

        Assert.False(SecurityTestSupport.TryHandshake(module,
            "-tls1_3", "-servername", Sni, "-cert", Pki.UntrustedClientCertificate, "-key", Pki.UntrustedClientKey).Established);
    }

    [Fact]
    public void An_SNI_profile_with_a_lower_minimum_version_does_not_lower_the_address_profile()
    {
        using var config = new TlsConfigFile();
        using TlsModule module = Module(config, "method = TLSv1.3+", "method = TLSv1.2+");

        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_2", "-servername", Sni).Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, "-tls1_3", "-servername", Sni).Established);
    }

    [Fact]
    public void An_SNI_profile_with_another_CA_list_does_not_change_whom_the_address_profile_trusts()
    {
        using var config = new TlsConfigFile();
        using TlsModule module = Module(config, Required, $"verify_client = on\nca_list = {Pki.UntrustedRootCaCertificate}");

        Assert.False(SecurityTestSupport.TryHandshake(module,
            "-tls1_3", "-servername", Sni, "-cert", Pki.UntrustedClientCertificate, "-key", Pki.UntrustedClientKey).Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_3", "-servername", Sni)).Established);
    }

    [Fact]
    public void An_SNI_profile_at_least_as_strict_still_applies()
    {
        using var config = new TlsConfigFile();
        using TlsModule module = Module(config, "verify_client = off", $"method = TLSv1.3\n{Required}");

        Assert.True(SecurityTestSupport.TryHandshake(module, "-tls1_2").Established);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_3", "-servername", Sni).Established);
        Assert.False(SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_2", "-servername", Sni)).Established);
        Assert.True(SecurityTestSupport.TryHandshake(module, WithClientCertificate("-tls1_3", "-servername", Sni)).Established);
    }

    [Fact]
    public void A_named_profile_for_the_same_address_is_the_explicit_way_to_serve_a_name_with_looser_settings()
    {
        // Step A takes the last-declared section for the address (strict); the name has its own section for that address.
        using var config = new TlsConfigFile();
        File.WriteAllText(config.Path, $"""
            [server:default]
            certificate = {Pki.ServerEcCertificate}
            private_key = {Pki.ServerEcKey}

            [server:127.0.0.1:0]
            server_name = {Sni}
            certificate = {Pki.SniServerCertificate}
            private_key = {Pki.SniServerKey}
            method = TLSv1.2+

            [server:127.0.0.1:0]
            server_name = strict.example
            certificate = {Pki.ServerEcCertificate}
            private_key = {Pki.ServerEcKey}
            method = TLSv1.3
            {Required}

            [client:default]
            """);
        using TlsModule module = TlsModule.Create(config.Options());

        (bool established, string detail) = SecurityTestSupport.TryHandshake(module, "-tls1_2", "-servername", Sni);
        Assert.True(established, detail);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_2", "-servername", "strict.example").Established);
        Assert.False(SecurityTestSupport.TryHandshake(module, "-tls1_3").Established);
    }
}
