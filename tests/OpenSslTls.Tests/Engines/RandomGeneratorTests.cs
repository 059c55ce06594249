using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Engines;

/// <summary>
/// <c>rand_engine</c> on OpenSSL 3. The DRBG names are checked in scratch library contexts (the process's own DRBG
/// runs long before this test, since other tests build profiles), and ordering against the running DRBG.
/// </summary>
// Process-wide: rand_engine configures the process's one RAND front end and DRBG, which every TlsModule.Create
// configures too.
[Collection(ProcessWideCollection.Name)]
public sealed class RandomGeneratorTests : NativeLeakCheck
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("cryptorand")]
    [InlineData("kxlibssl")]
    [InlineData("CryptoRand")]
    public void Kamailios_secure_generators_keep_OpenSSLs_default_DRBG(string? value)
    {
        TlsRandomGenerator generator = OpenSslRandom.Configure(value);

        Assert.True(generator.IsOpenSslDefault);
        Assert.Null(generator.Drbg);
        Assert.Same(generator, OpenSslRandom.Current);
        Assert.StartsWith("OpenSSL default DRBG", OpenSslRandom.Current.ToString(), StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(value))
        {
            Assert.Equal($"OpenSSL default DRBG (rand_engine={value})", generator.ToString());
        }
    }

    [Theory]
    [InlineData("krand", "libc-style rand()")]
    [InlineData("fastrand", "ISAAC")]
    [InlineData("KRAND", "libc-style rand()")]
    public void Insecure_generators_are_refused_with_the_reason_and_the_secure_choices(string value, string what)
    {
        TlsRandomGenerator before = OpenSslRandom.Current;

        var error = Assert.Throws<TlsEngineException>(() => OpenSslRandom.Configure(value));

        Assert.Equal("rand_engine", error.Parameter);
        Assert.Contains($"'{value}' is refused", error.Message, StringComparison.Ordinal);
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a cryptographically secure generator", error.Message, StringComparison.Ordinal);
        foreach (string choice in new[] { "cryptorand", "kxlibssl", "CTR-DRBG", "HASH-DRBG", "HMAC-DRBG" })
        {
            Assert.Contains(choice, error.Message, StringComparison.Ordinal);
        }

        Assert.Same(before, OpenSslRandom.Current);
    }

    [Fact]
    public void An_unknown_value_lists_the_accepted_ones()
    {
        var error = Assert.Throws<TlsEngineException>(() => OpenSslRandom.Parse("fortuna"));

        Assert.Equal("rand_engine", error.Parameter);
        Assert.Contains("unknown value 'fortuna'", error.Message, StringComparison.Ordinal);
        Assert.Contains("cryptorand or kxlibssl", error.Message, StringComparison.Ordinal);
        Assert.Contains("CTR-DRBG, HASH-DRBG, HMAC-DRBG", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CTR-DRBG", "CTR-DRBG", "AES-256-CTR", null, "CTR-DRBG (AES-256-CTR)")]
    [InlineData("hash-drbg", "HASH-DRBG", null, "SHA256", "HASH-DRBG (SHA256)")]
    [InlineData("HMAC-DRBG", "HMAC-DRBG", null, "SHA256", "HMAC-DRBG (SHA256)")]
    public void OpenSSL_DRBG_names_select_that_DRBG_at_full_strength(string value, string drbg, string? cipher, string? digest, string shown)
    {
        TlsRandomGenerator generator = OpenSslRandom.Parse(value);

        Assert.Equal(drbg, generator.Drbg);
        Assert.Equal(cipher, generator.Cipher);
        Assert.Equal(digest, generator.Digest);
        Assert.Equal(shown, generator.ToString());

        // What OpenSSL instantiates when asked for it in a fresh library context, and that it generates bytes.
        (string? name, uint strength, List<OpenSslError> errors) = OpenSslRandom.Probe(generator);
        Assert.True(name is not null, string.Join("; ", errors));
        Assert.Equal(drbg, name);
        Assert.Equal(256u, strength);
    }

    [Fact]
    public void A_different_DRBG_after_OpenSSL_started_generating_is_refused_as_too_late_and_the_running_one_is_accepted()
    {
        // Building a profile generates random bytes (SSL_CTX_new makes ticket keys), so the DRBG is running now.
        using (TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = TestPki.Instance.ServerEcCertificate, PrivateKey = TestPki.Instance.ServerEcKey }))
        {
        }

        TlsRandomGenerator before = OpenSslRandom.Current;
        var error = Assert.Throws<TlsEngineException>(() => OpenSslRandom.Configure("HASH-DRBG"));

        Assert.Equal("rand_engine", error.Parameter);
        Assert.Contains("'HASH-DRBG' came too late", error.Message, StringComparison.Ordinal);
        Assert.Contains("already running (CTR-DRBG, 256 bits)", error.Message, StringComparison.Ordinal);
        Assert.Contains("configure rand_engine first", error.Message, StringComparison.Ordinal);
        Assert.Same(before, OpenSslRandom.Current);

        // OpenSSL's default is CTR-DRBG with AES-256-CTR: asking for exactly that is satisfied.
        TlsRandomGenerator running = OpenSslRandom.Configure("CTR-DRBG");
        Assert.Same(running, OpenSslRandom.Current);
        Assert.Equal("CTR-DRBG (AES-256-CTR)", OpenSslRandom.Current.ToString());

        OpenSslRandom.Configure(null);
        Assert.True(OpenSslRandom.Current.IsOpenSslDefault);
    }
}
