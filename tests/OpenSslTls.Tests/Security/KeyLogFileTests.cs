using System.Diagnostics;
using System.Net;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// keylog_file holds every session secret: it is created 0600, refused when another user could read it or put it
/// somewhere else, and it belongs to the module that configured it (no process-wide switch).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KeyLogFileTests : NativeLeakCheck
{
    private static TlsModule Module(TlsConfigFile config, string? keylog) =>
        TlsModule.Create(config.Options(o =>
        {
            if (keylog is not null)
            {
                o.KeylogMode = 1 | 2 | 8;
                o.KeylogFile = keylog;
            }
        }));

    private static void Connect(TlsModule module)
    {
        var local = new IPEndPoint(IPAddress.Loopback, 5061);
        var pair = new TlsPair(module.AcceptConnection(local, new IPEndPoint(IPAddress.Loopback, 40001)), module.OpenConnection(local));
        using (pair)
        {
            Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        }
    }

    [Fact]
    public void A_new_key_log_is_created_readable_by_its_owner_only()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string keylog = Path.Combine(config.Directory, "keys.log");
        using (TlsModule module = Module(config, keylog))
        {
            Connect(module);
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keylog));
        Assert.Contains(File.ReadAllLines(keylog), line => line.StartsWith("SERVER_TRAFFIC_SECRET_0 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_modules_in_one_process_keep_their_own_key_logs()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string first = Path.Combine(config.Directory, "first.log");
        string second = Path.Combine(config.Directory, "second.log");
        using TlsModule a = Module(config, first);
        using TlsModule b = Module(config, second);
        using TlsModule none = Module(config, null);

        Connect(a);
        int firstLines = File.ReadAllLines(first).Length;
        Assert.True(firstLines >= 5, $"{firstLines} lines");
        Assert.Empty(File.ReadAllLines(second));

        Connect(none); // a module without keylog_file logs nowhere, whatever other modules do
        Assert.Equal(firstLines, File.ReadAllLines(first).Length);
        Assert.Empty(File.ReadAllLines(second));

        Connect(b);
        Assert.Equal(firstLines, File.ReadAllLines(first).Length);
        Assert.True(File.ReadAllLines(second).Length >= 5);
    }

    [Fact]
    public void The_file_closes_when_the_last_context_logging_to_it_is_freed()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string keylog = Path.Combine(config.Directory, "keys.log");
        using (TlsModule module = Module(config, keylog))
        {
            Connect(module);
            Assert.True(KeyLogFileShare.IsOpen(keylog));
        }

        Assert.False(KeyLogFileShare.IsOpen(keylog));
    }

    [Fact]
    public void An_existing_key_log_that_others_may_read_is_refused()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string keylog = Path.Combine(config.Directory, "keys.log");
        File.WriteAllText(keylog, "");
        File.SetUnixFileMode(keylog, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        TlsException error = Assert.ThrowsAny<TlsException>(() => Module(config, keylog).Dispose());
        Assert.Contains("keylog_file", error.Message, StringComparison.Ordinal);
        Assert.Contains("mode 0644", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(keylog).Length);
    }

    [Fact]
    public void A_symbolic_link_as_key_log_is_refused()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string target = Path.Combine(config.Directory, "elsewhere.log");
        File.WriteAllText(target, "");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string keylog = Path.Combine(config.Directory, "keys.log");
        File.CreateSymbolicLink(keylog, target);

        TlsException error = Assert.ThrowsAny<TlsException>(() => Module(config, keylog).Dispose());
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(target).Length);
    }

    [SkippableFact]
    public void A_key_log_owned_by_another_user_is_refused()
    {
        Skip.IfNot(PosixFile.EffectiveUserId == 0, "needs root to give the file to another user");
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string keylog = Path.Combine(config.Directory, "keys.log");
        File.WriteAllText(keylog, "");
        File.SetUnixFileMode(keylog, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (Process chown = Process.Start("chown", ["65534", keylog]))
        {
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }

        TlsException error = Assert.ThrowsAny<TlsException>(() => Module(config, keylog).Dispose());
        Assert.Contains("owned by uid 65534", error.Message, StringComparison.Ordinal);
    }
}
