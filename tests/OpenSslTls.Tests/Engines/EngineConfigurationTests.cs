using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Engines;

/// <summary><c>engine</c>, <c>engine_config</c> and <c>engine_algorithms</c>: every mistake is reported with the parameter and the value at fault.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class EngineConfigurationTests : NativeLeakCheck
{
    private readonly SoftHsmToken _token;

    public EngineConfigurationTests(SoftHsmToken token)
    {
        _token = token;
    }

    [Theory]
    [InlineData("NONE")]
    [InlineData("none")]
    [InlineData("")]
    public void Engine_NONE_loads_nothing(string engine)
    {
        var options = new TlsEngineOptions { Engine = engine, EngineConfig = "/does/not/matter.cnf", EngineAlgorithms = "bogus" };

        Assert.False(options.IsEnabled);
        Assert.Null(OpenSslEngine.Load(options));
    }

    [Fact]
    public void The_defaults_are_Kamailios()
    {
        var options = new TlsEngineOptions();

        Assert.Equal("NONE", options.Engine);
        Assert.Equal("NONE", options.EngineConfig);
        Assert.Null(options.ConfigFile);
        Assert.Equal("ALL", options.EngineAlgorithms);
    }

    [Fact]
    public void An_unknown_engine_is_named()
    {
        var error = Assert.Throws<TlsEngineException>(() => OpenSslEngine.Load(new TlsEngineOptions { Engine = "no-such-engine", EngineAlgorithms = "NONE" }));

        Assert.Equal("engine", error.Parameter);
        Assert.Contains("unknown engine 'no-such-engine'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RSA,FOO", "'FOO'")]
    [InlineData("rsa, ec ,, dh", "empty entry")]
    [InlineData("ECDSA", "'ECDSA'")]
    public void A_bad_algorithm_name_is_named_before_anything_is_loaded(string algorithms, string named)
    {
        var error = Assert.Throws<TlsEngineException>(() => OpenSslEngine.Load(
            new TlsEngineOptions { Engine = "no-such-engine", EngineAlgorithms = algorithms }));

        Assert.Equal("engine_algorithms", error.Parameter);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("RSA DSA DH EC RAND CIPHERS DIGESTS PKEY PKEY_CRYPTO PKEY_ASN1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ALL", 0xFFFFu, "ALL")]
    [InlineData("NONE", 0u, "NONE")]
    [InlineData(" rsa , Ec,PKEY_CRYPTO ", 0x1u | 0x800u | 0x200u, "RSA,EC,PKEY_CRYPTO")]
    [InlineData("PKEY", 0x200u | 0x400u, "PKEY")]
    [InlineData("DSA,DH,RAND,CIPHERS,DIGESTS,PKEY_ASN1", 0x2u | 0x4u | 0x8u | 0x40u | 0x80u | 0x400u, "DSA,DH,RAND,CIPHERS,DIGESTS,PKEY_ASN1")]
    public void Algorithm_lists_map_onto_OpenSSLs_method_flags(string text, uint flags, string canonical)
    {
        Assert.Equal((flags, canonical), EngineAlgorithmList.Parse(text));
    }

    [Fact]
    public void A_missing_engine_config_file_is_named()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir", "engine.cnf");
        var error = Assert.Throws<TlsEngineException>(() => OpenSslEngine.Load(new TlsEngineOptions { Engine = "pkcs11", EngineConfig = path }));

        Assert.Equal("engine_config", error.Parameter);
        Assert.Contains($"cannot read '{path}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kamailio = init\n[init\nengines = e\n", "syntax error at line 2")]
    [InlineData("[other]\nx = y\n", "no top-level 'kamailio = <section>'")]
    [InlineData("kamailio = init\n[init]\nother = x\n", "section [init] of")]
    [InlineData("kamailio = init\n[init]\nengines = list\n", "has no section [list]")]
    [InlineData("kamailio = init\n[init]\nengines = list\n[list]\ngem = gem_section\n[gem_section]\nengine_id = gem\n", "has no entry for engine 'pkcs11' (it lists: gem)")]
    public void An_incomplete_engine_config_says_what_is_missing(string content, string expected)
    {
        string path = Path.Combine(_token.Directory, $"broken-{Guid.NewGuid():N}.cnf");
        File.WriteAllText(path, content);

        var error = Assert.Throws<TlsEngineException>(() => OpenSslEngine.Load(new TlsEngineOptions { Engine = "pkcs11", EngineConfig = path }));

        Assert.Equal("engine_config", error.Parameter);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_missing_dynamic_path_is_named()
    {
        _token.RequirePackages();
        string config = _token.WriteEngineConfig(SoftHsmToken.Pin);
        File.WriteAllText(config, File.ReadAllText(config).Replace(_token.EnginePath, "/nonexistent/pkcs11.so", StringComparison.Ordinal));

        var error = Assert.Throws<TlsEngineException>(() => OpenSslEngine.Load(new TlsEngineOptions { Engine = "pkcs11", EngineConfig = config }));

        Assert.Equal("engine_config", error.Parameter);
        Assert.Contains("dynamic_path '/nonexistent/pkcs11.so' of engine 'pkcs11'", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SoftHsmToken.Pin, error.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_engine_stays_loaded_from_its_first_dynamic_path_and_another_path_is_refused()
    {
        _token.RequirePackages();
        string symlink = Path.Combine(Path.GetDirectoryName(_token.EnginePath)!, "libpkcs11.so");
        Prerequisites.Require(File.Exists(symlink), $"{symlink} (a second name for the engine, from libengine-pkcs11-openssl) is not installed");
        using (OpenSslEngine.Load(new TlsEngineOptions { Engine = "pkcs11", EngineConfig = _token.WriteEngineConfig(SoftHsmToken.Pin), EngineAlgorithms = "NONE" }))
        {
        }

        string config = _token.WriteEngineConfig(SoftHsmToken.Pin);
        File.WriteAllText(config, File.ReadAllText(config).Replace(_token.EnginePath, symlink, StringComparison.Ordinal));
        var error = Assert.Throws<TlsEngineException>(() => OpenSslEngine.Load(new TlsEngineOptions { Engine = "pkcs11", EngineConfig = config }));

        Assert.Equal("engine_config", error.Parameter);
        Assert.Contains($"engine 'pkcs11' is already loaded in this process from '{_token.EnginePath}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("needs a restart", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_control_command_the_engine_refuses_is_named_without_secret_values()
    {
        _token.RequirePackages();
        string config = _token.WriteEngineConfig(SoftHsmToken.Pin, extraLines: "NO_SUCH_COMMAND = 42");

        var error = Assert.Throws<TlsEngineException>(() => OpenSslEngine.Load(new TlsEngineOptions { Engine = "pkcs11", EngineConfig = config }));

        Assert.Equal("engine_config", error.Parameter);
        Assert.Contains("refused control command NO_SUCH_COMMAND=42", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SoftHsmToken.Pin, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_engine_key_without_an_engine_is_refused_when_the_profile_is_built()
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = TestPki.Instance.ServerEcCertificate,
            PrivateKey = "/engine:pkcs11:object=k;pin-value=1234",
        }));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains("no engine is configured (engine = NONE)", error.Message, StringComparison.Ordinal);
        Assert.Contains("pin-value=(hidden)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("1234", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/engine:")]
    [InlineData("/uri:")]
    public void A_key_reference_without_a_key_is_refused(string reference)
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = TestPki.Instance.ServerEcCertificate,
            PrivateKey = reference,
        }));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains("names no key after the prefix", error.Message, StringComparison.Ordinal);
    }
}
