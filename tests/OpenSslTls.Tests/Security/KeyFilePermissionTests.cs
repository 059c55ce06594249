using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Tests.Configuration;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// A private key file readable or writable by group or others is loaded (Kamailio does not check at all) but named in
/// a warning with its mode, once per load of the profile; an owner-only file loads silently.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class KeyFilePermissionTests : NativeLeakCheck
{
    private const int KeyFileWarning = 4;

    private static TestPki Pki => TestPki.Instance;

    private static string CopyKey(TempDirectory directory, string source, UnixFileMode mode)
    {
        string path = directory.Write(Path.GetFileName(source), File.ReadAllText(source));
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static List<FakeLogRecord> Warnings(FakeLogger logger) =>
        logger.Collector.GetSnapshot().Where(record => record.Id.Id == KeyFileWarning).ToList();

    [SkippableTheory]
    [InlineData("0644", true)]
    [InlineData("0640", true)]
    [InlineData("0604", true)]
    [InlineData("0600", false)]
    [InlineData("0400", false)]
    public void A_key_file_open_to_group_or_others_is_loaded_with_one_warning_naming_it(string mode, bool warned)
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        using var directory = new TempDirectory();
        string key = CopyKey(directory, Pki.ServerEcKey, (UnixFileMode)Convert.ToInt32(mode, 8));
        var logger = new FakeLogger();

        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = key,
        }, logger: logger);

        List<FakeLogRecord> warnings = Warnings(logger);
        if (!warned)
        {
            Assert.Empty(warnings);
            return;
        }

        FakeLogRecord warning = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(key, warning.Message, StringComparison.Ordinal);
        Assert.Contains($"mode {mode}", warning.Message, StringComparison.Ordinal);
        Assert.Contains("private_key", warning.Message, StringComparison.Ordinal);
        Assert.Contains("server:default", warning.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Encrypted_second_and_store_URI_keys_are_checked_too()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        using var directory = new TempDirectory();
        string encrypted = CopyKey(directory, Pki.ServerEcKeyEncrypted, (UnixFileMode)Convert.ToInt32("0644", 8));
        string rsa = CopyKey(directory, Pki.ServerRsaKey, (UnixFileMode)Convert.ToInt32("0660", 8));
        var logger = new FakeLogger();

        using (TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Method = TlsMethod.TLSv1_2,
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = "/uri:file:" + encrypted,
            PrivateKeyPassword = Pki.ServerEcKeyPassword,
            Certificate2 = Pki.ServerRsaCertificate,
            PrivateKey2 = rsa,
        }, logger: logger))
        {
        }

        List<FakeLogRecord> warnings = Warnings(logger);
        Assert.True(2 == warnings.Count, string.Join("\n", logger.Collector.GetSnapshot().Select(r => r.Message)));
        Assert.Contains(warnings, w => w.Message.Contains(encrypted, StringComparison.Ordinal) && w.Message.Contains("mode 0644", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains(rsa, StringComparison.Ordinal) && w.Message.Contains("private_key2", StringComparison.Ordinal) && w.Message.Contains("mode 0660", StringComparison.Ordinal));
        SecretsNeverLoggedTests.AssertNoSecret(string.Join('\n', warnings.Select(w => w.Message)), [Pki.ServerEcKeyPassword]);
    }

    [SkippableFact]
    public void A_module_warns_at_each_load_and_stops_once_the_mode_is_fixed()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        using var config = new TlsConfigFile();
        string key = Path.Combine(config.Directory, "server.key");
        File.Copy(Pki.ServerEcKey, key);
        File.SetUnixFileMode(key, (UnixFileMode)Convert.ToInt32("0644", 8));
        config.WriteServer(Pki.ServerEcCertificate, key);
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));

        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { LoggerFactory = factory });
        Assert.Single(collector.GetSnapshot(), record => record.Id.Id == KeyFileWarning);
        Assert.True(module.Reload().Succeeded);
        Assert.Equal(2, collector.GetSnapshot().Count(record => record.Id.Id == KeyFileWarning));

        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.True(module.Reload().Succeeded);
        Assert.Equal(2, collector.GetSnapshot().Count(record => record.Id.Id == KeyFileWarning));
    }
}
