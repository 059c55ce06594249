using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.Tests.Configuration;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Key passwords and PINs never appear in a log line (at the most verbose level), an exception message, the text of
/// options and settings objects, the <c>tls.options</c> view, its JSON, reload results or the <c>check</c> output —
/// whether the secret is right or wrong. Engine PINs: <see cref="EnginePinNeverShownTests"/> and
/// <see cref="Engines.EngineKeyTests"/>.
/// </summary>
public sealed class SecretsNeverLoggedTests : NativeLeakCheck
{
    private const string Password = TestPki.EncryptedKeyPassword;
    private const string WrongPassword = "wr0ng-Secret-9731";
    private const string Pin = "4711-pin-in-uri-0815";

    private static readonly string[] s_secrets = [Password, WrongPassword, Pin];

    private static TestPki Pki => TestPki.Instance;

    internal static void AssertNoSecret(string? text, IEnumerable<string>? secrets = null)
    {
        foreach (string secret in secrets ?? s_secrets)
        {
            Assert.DoesNotContain(secret, text ?? string.Empty, StringComparison.Ordinal);
        }
    }

    internal static void AssertNoSecretLogged(FakeLogCollector collector, IEnumerable<string>? secrets = null)
    {
        foreach (FakeLogRecord record in collector.GetSnapshot())
        {
            AssertNoSecret(record.Message, secrets);
            AssertNoSecret(record.Exception?.ToString(), secrets);
            AssertNoSecret(string.Join(' ', record.StructuredState?.Select(pair => pair.Value) ?? []), secrets);
        }
    }

    private static void WriteServer(TlsConfigFile config, string password) => File.WriteAllText(config.Path, $"""
        [server:default]
        certificate = {Pki.ServerEcCertificate}
        private_key = {Pki.ServerEcKeyEncrypted}
        private_key_password = "{password}"

        [client:default]
        """);

    [Fact]
    public void A_module_with_a_right_then_wrong_then_right_key_password_never_shows_it()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        using var config = new TlsConfigFile();
        WriteServer(config, Password);

        // tls_log and tls_debug at their most verbose: every connection message and trace is written.
        TlsModuleOptions options = config.Options(o => (o.LogLevel, o.DebugLevel) = (1000, 1000));
        using TlsModule module = TlsModule.Create(options, new TlsModuleHostOptions { LoggerFactory = factory });
        using (var pair = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), module.OpenConnection(TlsConfigFile.Local)))
        {
            Assert.True(pair.Handshake(), pair.Server.Failure?.Message);
        }

        WriteServer(config, WrongPassword);
        TlsReloadResult failed = module.Reload();
        Assert.False(failed.Succeeded);
        Assert.Contains(failed.Errors, error => error.Contains("wrong password", StringComparison.Ordinal));
        WriteServer(config, Password);
        Assert.True(module.Reload().Succeeded);

        Assert.NotEmpty(collector.GetSnapshot());
        AssertNoSecretLogged(collector);
        AssertNoSecret(string.Join('\n', failed.Errors));
        AssertNoSecret(TlsAdminJson.Serialize(failed));
        AssertNoSecret(string.Join('\n', module.Options().Select(pair => $"{pair.Key}={pair.Value}")));
        AssertNoSecret(TlsAdminJson.Serialize(module.Options()));
        AssertNoSecret(options.ToString());
        foreach (TlsProfile profile in module.Profiles.Profiles)
        {
            AssertNoSecret(profile.ToString());
            AssertNoSecret(profile.Settings.ToString());
            AssertNoSecret(module.Profiles.GetDefinition(profile).ToString());
        }

        Assert.Contains("PrivateKeyPassword = (hidden)", module.Profiles.ServerDefault.Settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Creating_a_module_with_a_wrong_key_password_fails_without_showing_it()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        var options = new TlsModuleOptions
        {
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = Pki.ServerEcKeyEncrypted,
            PrivateKeyPassword = WrongPassword,
        };

        var error = Assert.Throws<TlsProfileSetException>(() => TlsModule.Create(options, new TlsModuleHostOptions { LoggerFactory = factory }));

        Assert.Contains("wrong password", error.Message, StringComparison.Ordinal);
        AssertNoSecret(error.ToString());
        AssertNoSecret(string.Join('\n', error.Failures.Select(failure => failure.ToString())));
        AssertNoSecretLogged(collector);
    }

    [Fact]
    public void Tls_options_masks_the_modparam_password_and_a_PIN_inside_the_key_URI()
    {
        var options = new TlsModuleOptions
        {
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = Pki.ServerEcKeyEncrypted,
            PrivateKeyPassword = Password,
        };
        using (TlsModule module = TlsModule.Create(options))
        {
            Assert.Equal("********", module.Options()["private_key_password"]);
            AssertNoSecret(TlsAdminJson.Serialize(module.Options()));
        }

        options.PrivateKey = $"/uri:pkcs11:token=t;object=k;type=private;pin-value={Pin}";
        IReadOnlyDictionary<string, string?> view = TlsOptionsView.Describe(options);
        Assert.Equal("/uri:pkcs11:token=t;object=k;type=private;pin-value=(hidden)", view["private_key"]);
        AssertNoSecret(string.Join('\n', view.Values));
    }

    [Fact]
    public void Settings_text_masks_passwords_and_PINs_and_still_names_every_property()
    {
        var settings = new TlsProfileSettings
        {
            Certificate = "cert.pem",
            PrivateKey = $"/uri:pkcs11:token=t;object=k;pin-value={Pin};type=private",
            PrivateKeyPassword = Password,
            Certificate2 = "cert2.pem",
            PrivateKey2 = "key2.pem",
            PrivateKeyPassword2 = WrongPassword,
            CaList = "ca.pem",
        };

        string text = settings.ToString();

        AssertNoSecret(text);
        Assert.Contains("PrivateKeyPassword = (hidden)", text, StringComparison.Ordinal);
        Assert.Contains("PrivateKeyPassword2 = (hidden)", text, StringComparison.Ordinal);
        Assert.Contains("pin-value=(hidden);type=private", text, StringComparison.Ordinal);
        Assert.Contains("CaList = ca.pem", text, StringComparison.Ordinal);

        // The hand-written text must keep up with the record: every property is named.
        foreach (PropertyInfo property in typeof(TlsProfileSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Assert.Contains(property.Name + " = ", text, StringComparison.Ordinal);
        }

        AssertNoSecret(TlsProfileDefinition.ForDefault(TlsRole.Server, settings).ToString());
        AssertNoSecret(new TlsModuleOptions { PrivateKeyPassword = Password }.ToString());
        Assert.Equal(new TlsProfileSettings(), new TlsProfileSettings()); // equality is the compiler's, unchanged
    }

    [Theory]
    [InlineData("private_key_password = open sesame now", "sesame")]
    [InlineData("pkey_password = abc~d3f", "d3f")]
    [InlineData("private_key_password2 = p4ss \"w0rd\"", "w0rd")]
    public void A_malformed_password_line_in_tls_cfg_is_reported_without_its_value(string line, string fragment)
    {
        string error = CfgTestSupport.Error("[server:default]\n" + line + "\nverify_depth = 3\n");

        Assert.Contains("not shown: it is a secret", error, StringComparison.Ordinal);
        Assert.Contains(line[..line.IndexOf(' ', StringComparison.Ordinal)], error, StringComparison.Ordinal);
        Assert.DoesNotContain(fragment, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_numeric_modparam_password_is_reported_without_its_value()
    {
        var error = Assert.Throws<TlsConfigurationException>(() =>
            TlsModuleOptionsReader.ApplyModparams(new TlsModuleOptions(), "modparam(\"tls\", \"private_key_password\", 987654)\n", "tls.modparams"));

        Assert.Contains("private_key_password", error.Message, StringComparison.Ordinal);
        AssertNoSecret(error.ToString(), ["987654"]);
    }

    [Fact]
    public async Task Check_prints_profiles_without_passwords_or_PINs()
    {
        using var directory = new TempDirectory();
        string config = directory.Write("tls.cfg", $"""
            [server:default]
            certificate = {Pki.ServerEcCertificate}
            private_key = {Pki.ServerEcKeyEncrypted}
            private_key_password = {WrongPassword}

            [server:any]
            server_name = sip.example.test
            certificate = {Pki.SniServerCertificate}
            private_key = "/uri:pkcs11:token=t;object=k;type=private;pin-value={Pin}"

            [client:default]
            """);
        using var output = new StringWriter();
        using var errors = new StringWriter();

        int exit = await CheckCommand.RunAsync([config], output, errors);

        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("wrong password", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("private_key_password: (set, not shown)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("pin-value=(hidden)", output.ToString(), StringComparison.Ordinal);
        AssertNoSecret(output.ToString());
        AssertNoSecret(errors.ToString());
    }
}
