using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Tests.Engines;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Engine PINs (from <c>engine_config</c> or from <c>private_key_password</c>), right and wrong, through a whole
/// <see cref="TlsModule"/> logging at its most verbose: never in a log record, an exception, <c>tls.options</c> or a
/// reload result. (<see cref="EngineKeyTests"/> covers the engine and profile layers on their own.)
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class EnginePinNeverShownTests : NativeLeakCheck
{
    private readonly SoftHsmToken _token;

    public EnginePinNeverShownTests(SoftHsmToken token)
    {
        _token = token;
    }

    private TlsModuleOptions Options(string? configPin, string? password, string token = SoftHsmToken.Label) => new()
    {
        Engine = "pkcs11",
        EngineConfig = _token.WriteEngineConfig(configPin),
        EngineAlgorithms = "NONE",
        Certificate = _token.Certificate(token, SoftHsmToken.EcKeyLabel),
        PrivateKey = "/engine:" + SoftHsmToken.KeyUri(SoftHsmToken.EcKeyLabel, token),
        PrivateKeyPassword = password,
        LogLevel = 1000,
        DebugLevel = 1000,
    };

    [SkippableFact]
    public void Right_and_wrong_PINs_never_reach_logs_exceptions_or_admin_views()
    {
        _token.RequirePackages();
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        var host = new TlsModuleHostOptions { LoggerFactory = factory };

        using (TlsModule module = TlsModule.Create(Options(SoftHsmToken.Pin, password: null), host))
        {
            using (var pair = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), module.OpenConnection(TlsConfigFile.Local)))
            {
                Assert.True(pair.Handshake(), pair.Server.Failure?.Message);
            }

            TlsReloadResult reloaded = module.Reload();
            Assert.True(reloaded.Succeeded, string.Join("; ", reloaded.Errors));
            SecretsNeverLoggedTests.AssertNoSecret(TlsAdminJson.Serialize(module.Options()), SoftHsmToken.AllPins);
            SecretsNeverLoggedTests.AssertNoSecret(module.Profiles.ServerDefault.Settings.ToString(), SoftHsmToken.AllPins);
        }

        // Wrong PINs, in the engine configuration and as private_key_password, on the token no test logs in to.
        foreach ((string? configPin, string? password) in new[] { (SoftHsmToken.WrongPin, (string?)null), (null, SoftHsmToken.WrongPin) })
        {
            var error = Assert.Throws<TlsProfileSetException>(() => TlsModule.Create(Options(configPin, password, SoftHsmToken.PinCheckLabel), host));
            Assert.Contains("wrong PIN", error.Message, StringComparison.Ordinal);
            SecretsNeverLoggedTests.AssertNoSecret(error.ToString(), SoftHsmToken.AllPins);
        }

        Assert.Contains(collector.GetSnapshot(), record => record.Message.Contains("PIN=(hidden)", StringComparison.Ordinal));
        SecretsNeverLoggedTests.AssertNoSecretLogged(collector, SoftHsmToken.AllPins);
    }
}
