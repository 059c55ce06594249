using Microsoft.Extensions.Time.Testing;
using OpenSslTls.SipEndpoint.Certificates;
using OpenSslTls.Tests.Configuration;
using OpenSslTls.Tests.Support;
using OpenSslTls.Certificates;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary><c>serve</c>'s first-start certificate, made through the library (no <c>openssl</c> tool).</summary>
public sealed class SelfSignedCertificateTests : NativeLeakCheck
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Ensure_creates_owner_only_files_once_then_reuses_them_until_a_day_before_expiry()
    {
        using var directory = new TempDirectory();

        SelfSignedFiles first = SelfSignedCertificate.Ensure(directory.Path);

        Assert.True(first.Created);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.Certificate));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.PrivateKey));
        TlsCertificateInfo made = TlsCertificateInfo.FromPem(File.ReadAllText(first.Certificate));
        Assert.Equal("localhost", made.Subject.CommonName);
        Assert.Equal(["localhost"], made.DnsNames);
        Assert.Equal(["127.0.0.1", "::1"], made.IpAddresses);
        Assert.Equal(TimeSpan.FromDays(SelfSignedCertificate.ValidityDays), made.NotAfter - made.NotBefore);
        using (TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = first.Certificate, PrivateKey = first.PrivateKey }))
        {
            // Loads: the key belongs to the certificate.
        }

        // Only the two files and the lock remain: no temporary file or work directory is left behind.
        Assert.Equal([".generate.lock", "localhost.key", "localhost.pem"],
            Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        SelfSignedFiles again = SelfSignedCertificate.Ensure(directory.Path);
        Assert.False(again.Created);
        Assert.Equal(made.SerialNumber, TlsCertificateInfo.FromPem(File.ReadAllText(again.Certificate)).SerialNumber);

        // Two days before expiry it is still used; within the last day it is replaced.
        var clock = new FakeTimeProvider(made.NotAfter - TimeSpan.FromDays(2));
        Assert.False(SelfSignedCertificate.Ensure(directory.Path, clock).Created);
        clock.Advance(TimeSpan.FromDays(1.5));
        SelfSignedFiles renewed = SelfSignedCertificate.Ensure(directory.Path, clock);
        Assert.True(renewed.Created);
        Assert.NotEqual(made.SerialNumber, TlsCertificateInfo.FromPem(File.ReadAllText(renewed.Certificate)).SerialNumber);
    }

    [Fact]
    public void A_damaged_or_half_missing_pair_is_made_anew()
    {
        using var directory = new TempDirectory();
        SelfSignedFiles first = SelfSignedCertificate.Ensure(directory.Path);

        File.WriteAllText(first.Certificate, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
        Assert.True(SelfSignedCertificate.Ensure(directory.Path).Created);

        File.Delete(first.PrivateKey);
        SelfSignedFiles remade = SelfSignedCertificate.Ensure(directory.Path);
        Assert.True(remade.Created);
        using (TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = remade.Certificate, PrivateKey = remade.PrivateKey }))
        {
        }
    }
}
