using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Engines;

/// <summary>
/// <c>private_key = /uri:&lt;URI&gt;</c> through OpenSSL's <c>OSSL_STORE</c>. Debian 12 packages no PKCS#11 provider,
/// so <c>pkcs11:</c> URIs have no loader here: the tests use <c>file:</c> URIs (OpenSSL's built-in loader) and check
/// that an unsupported scheme is reported as such.
/// </summary>
public sealed class StoreUriKeyTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = OpenSslInterop.Timeout;

    private static TestPki Pki => TestPki.Instance;

    private static TlsProfileSettings Server(string key, string? password = null) => new()
    {
        Method = TlsMethod.TLSv1_2Plus,
        Certificate = Pki.ServerEcCertificate,
        PrivateKey = key,
        PrivateKeyPassword = password,
    };

    public static TheoryData<string> Uris() => new()
    {
        "/uri:file:" + Pki.ServerEcKey,
        "/uri:file://" + Pki.ServerEcKey,
        "/uri:" + Pki.ServerEcKey,
    };

    [Theory]
    [MemberData(nameof(Uris))]
    public void A_key_from_a_store_URI_serves_s_client(string key)
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(key));

        AssertServes(profile);
    }

    [Fact]
    public void An_encrypted_key_is_decrypted_with_private_key_password()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server("/uri:file:" + Pki.ServerEcKeyEncrypted, Pki.ServerEcKeyPassword));

        AssertServes(profile);
    }

    [Theory]
    [InlineData("not-the-password", "wrong password for /uri:file:")]
    [InlineData(null, "is encrypted and no password is configured")]
    public void A_wrong_or_missing_password_is_named_and_never_shown(string? password, string expected)
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server("/uri:file:" + Pki.ServerEcKeyEncrypted, password)));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Pki.ServerEcKeyPassword, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_scheme_without_a_loader_is_named()
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server,
            Server("/uri:pkcs11:token=OpenSslTlsTest;object=ec-key;type=private;pin-value=5555-secret")));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains("no OpenSSL store loader handles the scheme 'pkcs11'", error.Message, StringComparison.Ordinal);
        Assert.Contains("pin-value=(hidden)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("5555-secret", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(106u, true)] // OpenSSL 3.0: OSSL_STORE_R_UNREGISTERED_SCHEME
    [InlineData(0x8010Cu, true)] // OpenSSL 3.5: ERR_R_UNSUPPORTED from the loader fetch ("No store loader found")
    [InlineData(0xC0102u, false)] // ERR_R_PASSED_NULL_PARAMETER: another store failure
    public void Both_forms_of_a_scheme_without_a_loader_are_recognised(uint reason, bool expected)
    {
        ulong store = ((ulong)NativeMethods.Crypto.ERR_LIB_OSSL_STORE << 23) | reason;

        Assert.Equal(expected, ErrorCodes.IsStoreSchemeWithoutLoader(store));

        // Neither the same reason from another library, nor the system error ("No such file") 3.5 queues after it.
        Assert.False(ErrorCodes.IsStoreSchemeWithoutLoader(((ulong)NativeMethods.Crypto.ERR_LIB_PEM << 23) | reason));
        Assert.False(ErrorCodes.IsStoreSchemeWithoutLoader((1UL << 31) | 2));
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string missing = Path.Combine(Pki.Directory, "no-such.key");
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server("/uri:file:" + missing)));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains("/uri:file:" + missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_without_a_private_key_is_named()
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server("/uri:file:" + Pki.RootCaCertificate)));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains($"/uri:file:{Pki.RootCaCertificate} holds no private key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_key_that_does_not_belong_to_the_certificate_is_refused()
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server("/uri:file:" + Pki.ServerRsaKey)));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains("does not match certificate", error.Message, StringComparison.Ordinal);
    }

    private static void AssertServes(TlsProfile profile)
    {
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-CAfile", Pki.RootCaCertificate, "-verify_return_error");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout), $"handshake failed: {peer.Connection.Failure}{Environment.NewLine}{client.Output}");
            client.ExpectOutput("Verify return code: 0 (ok)");
        }
    }
}
