using System.Globalization;
using System.Net;
using OpenSslTls.Tests.Configuration;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Certificates;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Certificates;

/// <summary>Self-signed certificates made in process, checked with our profiles and with the <c>openssl</c> tool.</summary>
public sealed class SelfSignedCertificateBuilderTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = OpenSslInterop.Timeout;

    [Theory]
    [InlineData(SelfSignedKeyAlgorithm.EcP256, "TLSv1.3", "-tls1_3")]
    [InlineData(SelfSignedKeyAlgorithm.Rsa2048, "TLSv1.2", "-tls1_2")]
    public void The_certificate_loads_in_a_profile_and_s_client_verifies_it_by_host_name_and_address(SelfSignedKeyAlgorithm algorithm, string protocol, string version)
    {
        using var directory = new TempDirectory();
        string certificate = Path.Combine(directory.Path, "cert.pem");
        string key = Path.Combine(directory.Path, "key.pem");
        SelfSignedCertificateBuilder.ForLocalhost().WithKeyAlgorithm(algorithm).Create().WriteFiles(certificate, key);
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = certificate, PrivateKey = key });

        foreach (string[] check in new[] { new[] { "-verify_hostname", "localhost" }, ["-verify_ip", "127.0.0.1"] })
        {
            (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, [version, "-CAfile", certificate, "-verify_return_error", .. check]);
            using (client)
            using (peer)
            {
                Assert.True(peer.WaitForHandshake(Timeout), client.Output);
                Assert.Equal(protocol, peer.Connection.Info!.Protocol);
                Assert.True(client.WaitForOutput(OpenSslOutput.ClientVerifyReturnCode + "0 (ok)", Timeout), client.Output);
                Assert.Contains(OpenSslOutput.ClientVerificationOk, client.Output, StringComparison.Ordinal);
                client.WriteLine("OPTIONS sip:x SIP/2.0");
                Assert.True(peer.WaitForText("OPTIONS sip:x SIP/2.0\n", Timeout), peer.Text);
            }
        }
    }

    [Fact]
    public void s_client_refuses_a_host_name_the_certificate_does_not_name()
    {
        using var directory = new TempDirectory();
        string certificate = Path.Combine(directory.Path, "cert.pem");
        string key = Path.Combine(directory.Path, "key.pem");
        new SelfSignedCertificateBuilder("sip.example.test").AddDnsName("sip.example.test").Create().WriteFiles(certificate, key);
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = certificate, PrivateKey = key });

        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-CAfile", certificate, "-verify_hostname", "other.example.test");
        using (client)
        using (peer)
        {
            Assert.True(client.WaitForOutput(OpenSslOutput.ClientVerificationError + "hostname mismatch", Timeout), client.Output);
        }
    }

    [Fact]
    public void openssl_x509_shows_the_names_usages_validity_and_signature()
    {
        using var directory = new TempDirectory();
        string certificate = Path.Combine(directory.Path, "cert.pem");
        SelfSignedCertificatePem created = new SelfSignedCertificateBuilder("sip.example.test")
            .AddDnsName("sip.example.test")
            .AddDnsName("*.edge.example.test")
            .AddIpAddress(IPAddress.Parse("192.0.2.7"))
            .AddIpAddress(IPAddress.Parse("2001:db8::7"))
            .WithValidityDays(30)
            .Create();
        File.WriteAllText(certificate, created.CertificatePem);

        OpenSslCliResult text = OpenSslCli.Run(["x509", "-in", certificate, "-noout", "-text"]);
        Assert.Equal(0, text.ExitCode);
        string output = text.StandardOutput;
        Assert.Contains("Version: 3 (0x2)", output, StringComparison.Ordinal);
        Assert.Contains("Signature Algorithm: ecdsa-with-SHA256", output, StringComparison.Ordinal);
        Assert.Matches("Subject: " + OpenSslOutput.NamePattern("CN", "sip.example.test"), output);
        Assert.Matches("Issuer: " + OpenSslOutput.NamePattern("CN", "sip.example.test"), output);
        Assert.Contains("ASN1 OID: prime256v1", output, StringComparison.Ordinal);
        Assert.Contains("DNS:sip.example.test, DNS:*.edge.example.test, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:7", output, StringComparison.Ordinal);
        Assert.Matches(@"X509v3 Extended Key Usage: *\n *TLS Web Server Authentication\n", output);
        Assert.Matches(@"X509v3 Basic Constraints: critical\n *CA:FALSE\n", output);
        Assert.Matches(@"X509v3 Key Usage: critical\n *Digital Signature\n", output);
        Assert.Contains("X509v3 Subject Key Identifier", output, StringComparison.Ordinal);

        // Valid from now for exactly 30 days; the library reads the same dates back.
        TimeSpan validity = created.Certificate.NotAfter - created.Certificate.NotBefore;
        Assert.Equal(TimeSpan.FromDays(30), validity);
        Assert.InRange(created.Certificate.NotBefore, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        OpenSslCliResult end = OpenSslCli.Run(["x509", "-in", certificate, "-noout", "-enddate"]);
        Assert.Equal("notAfter=" + created.Certificate.NotAfterText, end.StandardOutput.Trim());

        // The self-signature verifies with the certificate as its own trust anchor.
        OpenSslCliResult verify = OpenSslCli.Run(["verify", "-CAfile", certificate, "-purpose", "sslserver", certificate]);
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
    }

    [Fact]
    public void The_key_matches_the_certificate_and_each_creation_has_its_own_key_and_serial()
    {
        SelfSignedCertificatePem first = SelfSignedCertificateBuilder.ForLocalhost().Create();
        SelfSignedCertificatePem second = SelfSignedCertificateBuilder.ForLocalhost().Create();

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", first.PrivateKeyPem, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", first.CertificatePem, StringComparison.Ordinal);
        Assert.NotEqual(first.PrivateKeyPem, second.PrivateKeyPem);
        Assert.NotEqual(first.Certificate.SerialNumber, second.Certificate.SerialNumber);

        // 16 random bytes, top bit clear and the next one set: always 127 bits, always positive.
        var serial = System.Numerics.BigInteger.Parse(first.Certificate.SerialNumber, CultureInfo.InvariantCulture);
        Assert.Equal(127, (int)serial.GetBitLength());
        Assert.Equal(["localhost"], first.Certificate.DnsNames);
        Assert.Equal(["127.0.0.1", "::1"], first.Certificate.IpAddresses);
        Assert.Equal(2, first.Certificate.Version);
        Assert.DoesNotContain("PRIVATE", first.ToString(), StringComparison.Ordinal);
        TlsCertificateInfo reread = TlsCertificateInfo.FromPem(first.CertificatePem);
        Assert.Equal(first.Certificate.SerialNumber, reread.SerialNumber);
        Assert.Equal(first.Certificate.NotAfter, reread.NotAfter);
        Assert.Equal(first.Certificate.DnsNames, reread.DnsNames);

        // A profile built from the pair proves the key belongs to the certificate (SSL_CTX_check_private_key).
        using var directory = new TempDirectory();
        string mismatchedKey = directory.Write("other.key", second.PrivateKeyPem);
        string certificate = directory.Write("cert.pem", first.CertificatePem);
        string key = directory.Write("key.pem", first.PrivateKeyPem);
        TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = certificate, PrivateKey = key }).Dispose();
        Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = certificate, PrivateKey = mismatchedKey }));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Files_are_written_owner_only_atomically_and_one_path_holds_key_and_certificate()
    {
        using var directory = new TempDirectory();
        string certificate = Path.Combine(directory.Path, "cert.pem");
        string key = Path.Combine(directory.Path, "key.pem");
        File.WriteAllText(key, "old");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        SelfSignedCertificatePem created = SelfSignedCertificateBuilder.ForLocalhost().Create();

        created.WriteFiles(certificate, key);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(certificate));
        Assert.Equal(created.PrivateKeyPem, File.ReadAllText(key));
        Assert.Equal(created.CertificatePem, File.ReadAllText(certificate));
        Assert.Equal(["cert.pem", "key.pem"], Directory.GetFiles(directory.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Kamailio's default layout: certificate and key in one cert.pem, which a profile loads for both.
        string combined = Path.Combine(directory.Path, "both.pem");
        created.WriteFiles(combined, combined);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(combined));
        TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = combined, PrivateKey = combined }).Dispose();

        // A missing directory fails without leaving anything behind.
        Assert.Throws<DirectoryNotFoundException>(() => created.WriteFiles(Path.Combine(directory.Path, "no", "c.pem"), Path.Combine(directory.Path, "no", "k.pem")));
        Assert.Equal(3, Directory.GetFiles(directory.Path).Length);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("a..b", "empty label")]
    [InlineData(".example.org", "empty label")]
    [InlineData("-a.example.org", "starts or ends with a hyphen")]
    [InlineData("a.*.example.org", "wildcard may only be the whole leftmost label")]
    [InlineData("*", "wildcard may only be the whole leftmost label")]
    [InlineData("a,DNS:evil.example", "contains ','")]
    [InlineData("a b", "contains ' '")]
    [InlineData("IP:1.2.3.4", "contains ':'")]
    [InlineData("bücher.example", "xn-- form")]
    [InlineData("a\nb", "contains '\\u000a'")]
    public void Unusable_dns_names_are_refused_with_the_reason(string name, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => new SelfSignedCertificateBuilder("x").AddDnsName(name));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal("name", error.ParamName);
    }

    [Fact]
    public void Other_bad_arguments_are_refused_with_clear_messages()
    {
        Assert.Contains("1 to 64 characters", Assert.Throws<ArgumentException>(() => new SelfSignedCertificateBuilder("")).Message, StringComparison.Ordinal);
        Assert.Contains("1 to 64 characters", Assert.Throws<ArgumentException>(() => new SelfSignedCertificateBuilder(new string('a', 65))).Message, StringComparison.Ordinal);
        Assert.Contains("control characters", Assert.Throws<ArgumentException>(() => new SelfSignedCertificateBuilder("a\u0000b")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new SelfSignedCertificateBuilder(null!));
        Assert.Contains("1 to 36500 days", Assert.Throws<ArgumentOutOfRangeException>(() => new SelfSignedCertificateBuilder("x").WithValidityDays(0)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SelfSignedCertificateBuilder("x").WithValidityDays(36501));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SelfSignedCertificateBuilder("x").WithKeyAlgorithm((SelfSignedKeyAlgorithm)7));
        Assert.Contains("scope id", Assert.Throws<ArgumentException>(() => new SelfSignedCertificateBuilder("x").AddIpAddress(IPAddress.Parse("fe80::1%2"))).Message, StringComparison.Ordinal);
        Assert.Contains(new string('a', 64), Assert.Throws<ArgumentException>(() => new SelfSignedCertificateBuilder("x").AddDnsName(new string('a', 64) + ".example")).Message, StringComparison.Ordinal);

        SelfSignedCertificatePem created = SelfSignedCertificateBuilder.ForLocalhost().Create();
        Assert.Throws<ArgumentException>(() => created.WriteFiles("", "k.pem"));
        Assert.Throws<ArgumentException>(() => TlsCertificateInfo.FromPem(" "));
        var notPem = Assert.Throws<OpenSslException>(() => TlsCertificateInfo.FromPem("not a certificate"));
        Assert.Contains("PEM_read_bio_X509", notPem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_names_are_kept_once_and_a_certificate_without_names_is_allowed()
    {
        SelfSignedCertificateBuilder builder = new SelfSignedCertificateBuilder("Test Server")
            .AddDnsName("a.example").AddDnsName("A.EXAMPLE").AddIpAddress(IPAddress.Loopback).AddIpAddress(IPAddress.Parse("127.0.0.1"));
        Assert.Equal(["a.example"], builder.DnsNames);
        Assert.Single(builder.IpAddresses);

        SelfSignedCertificatePem bare = new SelfSignedCertificateBuilder("Test Server, Ünïcode").Create();
        Assert.Empty(bare.Certificate.DnsNames);
        Assert.Empty(bare.Certificate.IpAddresses);
        Assert.Equal("Test Server, Ünïcode", bare.Certificate.Subject.CommonName);
    }
}
