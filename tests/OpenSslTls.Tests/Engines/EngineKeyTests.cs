using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Engines;

/// <summary>
/// <c>private_key = /engine:pkcs11:…</c> with the pkcs11 engine over a SoftHSM2 token, served to <c>openssl s_client</c>.
/// Every test disposes its engine and profiles, so OpenSSL's process-wide engine state is as before when it ends.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class EngineKeyTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = OpenSslInterop.Timeout;

    private readonly SoftHsmToken _token;

    public EngineKeyTests(SoftHsmToken token)
    {
        _token = token;
    }

    private static TestPki Pki => TestPki.Instance;

    private string Certificate(string keyLabel) => keyLabel == SoftHsmToken.EcKeyLabel ? _token.EcCertificate : _token.RsaCertificate;

    private TlsProfileSettings Server(string keyLabel, string? password = null) => new()
    {
        Method = TlsMethod.TLSv1_2Plus,
        Certificate = Certificate(keyLabel),
        PrivateKey = "/engine:" + SoftHsmToken.KeyUri(keyLabel),
        PrivateKeyPassword = password,
    };

    private OpenSslEngine LoadEngine(string? pin = SoftHsmToken.Pin, string algorithms = "NONE", FakeLogger? logger = null) =>
        OpenSslEngine.Load(
            new TlsEngineOptions { Engine = "pkcs11", EngineConfig = _token.WriteEngineConfig(pin), EngineAlgorithms = algorithms },
            logger)!;

    private void SkipWithoutToken() => _token.RequirePackages();

    /// <summary>A profile whose key is in the token that no test ever logs in to successfully.</summary>
    private TlsProfileSettings PinCheckServer(string? password) => new()
    {
        Certificate = _token.EcCertificate,
        PrivateKey = "/engine:" + SoftHsmToken.KeyUri(SoftHsmToken.EcKeyLabel, SoftHsmToken.PinCheckLabel),
        PrivateKeyPassword = password,
    };

    /// <summary>
    /// libp11 remembers the last PIN it was given (engine_config's PIN control, or a PIN the UI answered) for the life
    /// of the process, and forgets it when a login with it fails. A failed login makes the tests that are about where
    /// the PIN comes from independent of the tests that ran before them.
    /// </summary>
    private void ForgetRememberedPin()
    {
        using OpenSslEngine engine = LoadEngine(pin: SoftHsmToken.WrongPin);
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, PinCheckServer(password: null), engine: engine));
        Assert.Contains("wrong PIN", error.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(SoftHsmToken.EcKeyLabel, "-tls1_3", "TLSv1.3", "ECDSA")]
    [InlineData(SoftHsmToken.EcKeyLabel, "-tls1_2", "TLSv1.2", "ECDSA")]
    [InlineData(SoftHsmToken.RsaKeyLabel, "-tls1_3", "TLSv1.3", "RSA-PSS")]
    [InlineData(SoftHsmToken.RsaKeyLabel, "-tls1_2", "TLSv1.2", "RSA-PSS")]
    public void A_key_in_the_token_serves_s_client(string keyLabel, string version, string protocol, string signature)
    {
        SkipWithoutToken();
        using OpenSslEngine engine = LoadEngine();
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(keyLabel), engine: engine);

        AssertKeyInToken(profile, keyLabel);
        AssertServes(profile, version, protocol, signature);
    }

    [SkippableFact]
    public void The_private_keys_exist_only_inside_the_token()
    {
        SkipWithoutToken();

        // No file under the token fixture, nor anything the fixture script wrote, holds a private key...
        foreach (string file in Directory.EnumerateFiles(_token.Directory, "*", SearchOption.AllDirectories))
        {
            string text = File.ReadAllText(file);
            Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        }

        // ...the token marks both as generated inside it and never extractable...
        (int exitCode, string listing, string errors) = ProcessRunner.Run("pkcs11-tool",
            ["--module", SoftHsmToken.ModulePath, "--token-label", SoftHsmToken.Label, "--login", "--pin", SoftHsmToken.Pin, "--list-objects", "--type", "privkey"]);
        Assert.True(exitCode == 0, errors);
        Assert.Equal(2, CountOccurrences(listing, "never extractable, local"));

        // ...and the profiles' keys are the engine's: their operations run in the token.
        using OpenSslEngine engine = LoadEngine();
        using TlsProfile ec = TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.EcKeyLabel), engine: engine);
        using TlsProfile rsa = TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.RsaKeyLabel), engine: engine);
        AssertKeyInToken(ec, SoftHsmToken.EcKeyLabel);
        AssertKeyInToken(rsa, SoftHsmToken.RsaKeyLabel);

        using TlsProfile fromFile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = Pki.ServerEcKey,
        });
        Assert.Equal((true, (string?)null), EngineLoader.DescribeKey(fromFile.Context));
    }

    [SkippableFact]
    public void The_PIN_can_come_from_private_key_password_instead_of_the_engine_config()
    {
        SkipWithoutToken();
        ForgetRememberedPin();
        using OpenSslEngine engine = LoadEngine(pin: null);
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = _token.Certificate(SoftHsmToken.PasswordLabel, SoftHsmToken.EcKeyLabel),
            PrivateKey = "/engine:" + SoftHsmToken.KeyUri(SoftHsmToken.EcKeyLabel, SoftHsmToken.PasswordLabel),
            PrivateKeyPassword = SoftHsmToken.PasswordPin,
        }, engine: engine);

        AssertServes(profile, "-tls1_3", "TLSv1.3", "ECDSA");
    }

    [SkippableFact]
    public void Without_any_PIN_loading_fails_at_once_and_never_prompts()
    {
        SkipWithoutToken();
        ForgetRememberedPin();
        using OpenSslEngine engine = LoadEngine(pin: null);

        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, PinCheckServer(password: null), engine: engine));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains("without logging in to the token, and no PIN is configured", error.Message, StringComparison.Ordinal);
        AssertNoSecret(error.ToString());
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_wrong_PIN_is_named_as_such_and_no_PIN_is_in_the_message(bool pinInConfig)
    {
        SkipWithoutToken();
        if (!pinInConfig)
        {
            ForgetRememberedPin();
        }

        using OpenSslEngine engine = LoadEngine(pin: pinInConfig ? SoftHsmToken.WrongPin : null);

        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(
            TlsRole.Server, PinCheckServer(password: pinInConfig ? null : SoftHsmToken.WrongPin), engine: engine));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains("wrong PIN", error.Message, StringComparison.Ordinal);
        Assert.Contains(SoftHsmToken.KeyUri(SoftHsmToken.EcKeyLabel, SoftHsmToken.PinCheckLabel), error.Message, StringComparison.Ordinal);
        AssertNoSecret(error.ToString());
    }

    [SkippableFact]
    public void An_unknown_key_label_is_named()
    {
        SkipWithoutToken();
        using OpenSslEngine engine = LoadEngine();
        const string Missing = "pkcs11:token=OpenSslTlsTest;object=no-such-key;type=private";

        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(
            TlsRole.Server, Server(SoftHsmToken.EcKeyLabel) with { PrivateKey = "/engine:" + Missing }, engine: engine));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains($"no private key /engine:{Missing} in engine 'pkcs11'", error.Message, StringComparison.Ordinal);
        AssertNoSecret(error.ToString());
    }

    [SkippableFact]
    public void A_token_key_that_does_not_belong_to_the_certificate_is_refused()
    {
        SkipWithoutToken();
        using OpenSslEngine engine = LoadEngine();

        // Same type (EC key, EC certificate of another key) and different types (RSA key, EC certificate).
        foreach ((string keyLabel, string certificate) in new[]
        {
            (SoftHsmToken.EcKeyLabel, Pki.ServerEcCertificate),
            (SoftHsmToken.RsaKeyLabel, _token.EcCertificate),
        })
        {
            var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(
                TlsRole.Server, Server(keyLabel) with { Certificate = certificate }, engine: engine));

            Assert.Equal("private_key", error.Parameter);
            Assert.Contains("does not match certificate", error.Message, StringComparison.Ordinal);
            Assert.Contains(certificate, error.Message, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void A_pin_value_inside_the_key_URI_is_masked_in_messages()
    {
        SkipWithoutToken();
        using OpenSslEngine engine = LoadEngine(pin: null);
        string keyId = $"pkcs11:token={SoftHsmToken.PinCheckLabel};object=ec-key;type=private;pin-value={SoftHsmToken.WrongPin}";

        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(
            TlsRole.Server, Server(SoftHsmToken.EcKeyLabel) with { PrivateKey = "/engine:" + keyId }, engine: engine));

        Assert.Contains("pin-value=(hidden)", error.Message, StringComparison.Ordinal);
        AssertNoSecret(error.ToString());
    }

    [SkippableFact]
    public void Nothing_logged_while_loading_and_serving_contains_a_PIN()
    {
        SkipWithoutToken();
        var logger = new FakeLogger();
        using (OpenSslEngine engine = LoadEngine(logger: logger))
        using (TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.RsaKeyLabel), logger: logger, engine: engine))
        {
            AssertServes(profile, "-tls1_3", "TLSv1.3", "RSA-PSS");
        }

        using (OpenSslEngine engine = LoadEngine(pin: SoftHsmToken.WrongPin, logger: logger))
        {
            Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, PinCheckServer(password: null), logger: logger, engine: engine));
        }

        IReadOnlyList<FakeLogRecord> records = logger.Collector.GetSnapshot();
        List<FakeLogRecord> loads = records.Where(r => r.Id.Id == 40).ToList();
        Assert.Equal(2, loads.Count);
        Assert.All(loads, loaded =>
        {
            Assert.Contains("PIN=(hidden)", loaded.Message, StringComparison.Ordinal);
            Assert.Contains("MODULE_PATH=" + SoftHsmToken.ModulePath, loaded.Message, StringComparison.Ordinal);
        });
        foreach (FakeLogRecord record in records)
        {
            AssertNoSecret(record.Message);
            AssertNoSecret(record.Exception?.ToString() ?? string.Empty);
            AssertNoSecret(string.Join(' ', record.StructuredState?.Select(p => p.Value) ?? []));
        }
    }

    [SkippableFact]
    public void With_ALL_the_engine_is_the_default_only_until_disposed_and_other_profiles_keep_working()
    {
        SkipWithoutToken();
        Assert.NotEqual("pkcs11", EngineLoader.DefaultEngineId(NativeMethods.Crypto.ENGINE_METHOD_RSA));

        using (OpenSslEngine engine = LoadEngine(algorithms: "ALL"))
        {
            Assert.Equal("ALL", engine.Algorithms);

            // ENGINE_set_default_string registers the methods the engine offers at that moment: libp11 up to 0.4.12
            // offers RSA and EC from the start, 0.4.13 only once it has loaded a key (in this process, by any test).
            foreach (uint method in new[] { NativeMethods.Crypto.ENGINE_METHOD_RSA, NativeMethods.Crypto.ENGINE_METHOD_EC })
            {
                string? expected = OffersMethod(method) ? "pkcs11" : null;
                Assert.Equal(expected, EngineLoader.DefaultEngineId(method));
            }

            using TlsProfile inToken = TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.RsaKeyLabel), engine: engine);
            AssertServes(inToken, "-tls1_3", "TLSv1.3", "RSA-PSS");

            // Keys in memory still work while the engine is the default for RSA and EC.
            using TlsProfile fromFile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
            {
                Method = TlsMethod.TLSv1_2Plus,
                Certificate = Pki.ServerRsaCertificate,
                PrivateKey = Pki.ServerRsaKey,
            });
            AssertServes(fromFile, "-tls1_2", "TLSv1.2", "RSA-PSS");
        }

        Assert.NotEqual("pkcs11", EngineLoader.DefaultEngineId(NativeMethods.Crypto.ENGINE_METHOD_RSA));
        Assert.NotEqual("pkcs11", EngineLoader.DefaultEngineId(NativeMethods.Crypto.ENGINE_METHOD_EC));
        Assert.NotEqual("pkcs11", EngineLoader.DefaultEngineId(NativeMethods.Crypto.ENGINE_METHOD_PKEY_METHS));
    }

    [SkippableFact]
    public void A_profile_keeps_its_token_key_after_the_engine_is_disposed()
    {
        SkipWithoutToken();
        OpenSslEngine engine = LoadEngine();
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.EcKeyLabel), engine: engine);
        engine.Dispose();
        engine.Dispose();

        Assert.True(engine.IsDisposed);
        AssertServes(profile, "-tls1_3", "TLSv1.3", "ECDSA");
        Assert.Throws<ObjectDisposedException>(() => TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.RsaKeyLabel), engine: engine));
    }

    [SkippableFact]
    public void Two_loads_share_the_process_engine_and_both_serve_keys()
    {
        SkipWithoutToken();
        using OpenSslEngine first = LoadEngine();
        using OpenSslEngine second = LoadEngine();
        using TlsProfile ec = TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.EcKeyLabel), engine: first);
        using TlsProfile rsa = TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.RsaKeyLabel), engine: second);

        AssertServes(ec, "-tls1_3", "TLSv1.3", "ECDSA");
        AssertServes(rsa, "-tls1_2", "TLSv1.2", "RSA-PSS");
    }

    [SkippableFact]
    public void OpenSSL_style_engine_configs_work_too()
    {
        SkipWithoutToken();
        string config = _token.WriteEngineConfig(SoftHsmToken.Pin, kamailioLayout: false, sectionEntry: "hsm");
        using OpenSslEngine engine = OpenSslEngine.Load(new TlsEngineOptions { Engine = "pkcs11", EngineConfig = config, EngineAlgorithms = "ec, rsa" })!;

        Assert.Equal("pkcs11", engine.Id);
        Assert.Equal("EC,RSA", engine.Algorithms);
        Assert.Equal(config, engine.ConfigFile);
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(SoftHsmToken.EcKeyLabel), engine: engine);
        AssertServes(profile, "-tls1_2", "TLSv1.2", "ECDSA");
    }

    /// <summary>Whether the process's pkcs11 engine offers <paramref name="method"/> now.</summary>
    private static bool OffersMethod(uint method)
    {
        using var pkcs11 = EngineLoader.FindInList("pkcs11") ?? throw new InvalidOperationException("pkcs11 is not in OpenSSL's engine list");
        return EngineLoader.OffersMethod(pkcs11, method);
    }

    private static void AssertServes(TlsProfile profile, string version, string protocol, string signature)
    {
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, version, "-CAfile", Pki.RootCaCertificate, "-verify_return_error");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout), $"handshake failed: {peer.Connection.Failure}{Environment.NewLine}{client.Output}");
            Assert.Equal(protocol, peer.Connection.Info!.Protocol);
            client.ExpectOutput("Verify return code: 0 (ok)");
            Assert.Matches(new System.Text.RegularExpressions.Regex(OpenSslOutput.PeerSignaturePattern(signature), System.Text.RegularExpressions.RegexOptions.Multiline), client.Output);
            client.WriteLine("OPTIONS sip:hsm SIP/2.0");
            Assert.True(peer.WaitForText("OPTIONS sip:hsm SIP/2.0\n", Timeout), peer.Text);
        }
    }

    /// <summary>The profile's key has no private material in this process, and (RSA) its operations are libp11's.</summary>
    private static void AssertKeyInToken(TlsProfile profile, string keyLabel)
    {
        (bool inMemory, string? method) = EngineLoader.DescribeKey(profile.Context);
        Assert.False(inMemory);
        Assert.NotNull(method);
        if (keyLabel == SoftHsmToken.RsaKeyLabel)
        {
            Assert.Contains("libp11", method, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static void AssertNoSecret(string text)
    {
        foreach (string pin in SoftHsmToken.AllPins)
        {
            Assert.DoesNotContain(pin, text, StringComparison.Ordinal);
        }
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
