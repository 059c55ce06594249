using System.Net;
using OpenSslTls.SipEndpoint.Certificates;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>The command lines of <c>serve</c> and <c>send</c>, without running anything.</summary>
public class CommandLineTests
{
    [Fact]
    public void Serve_defaults_to_127_0_0_1_port_5061_with_nothing_configured()
    {
        ServeSettings settings = ServeSettings.Parse([]);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 5061)], settings.Listen);
        Assert.Null(settings.Certificate);
        Assert.Equal(VerifyClientMode.Off, settings.VerifyClient);
        Assert.False(settings.SendCloseNotify);
    }

    [Fact]
    public void Listen_is_repeatable_and_takes_IPv6_in_brackets()
    {
        ServeSettings settings = ServeSettings.Parse(["--listen", "127.0.0.1:0", "--listen=[::1]:5061", "--listen", "0.0.0.0:5062"]);
        Assert.Equal(
            [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 5061), new IPEndPoint(IPAddress.Any, 5062)],
            settings.Listen);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::1:5061")]
    [InlineData("[::1]")]
    [InlineData("localhost:5061")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("[::1]5061")]
    public void Listen_refuses_what_is_not_ADDR_PORT(string value)
    {
        Assert.Throws<CommandLineException>(() => ServeSettings.Parse(["--listen", value]));
    }

    [Fact]
    public void Configuration_files_and_the_control_socket_are_taken()
    {
        ServeSettings settings = ServeSettings.Parse(["--modparams", "tls.modparams", "--appsettings", "appsettings.json", "--tls-cfg", "tls.cfg", "--control-socket", "/run/ctl.sock"]);
        Assert.Equal("tls.modparams", settings.Sources.Modparams);
        Assert.Equal("appsettings.json", settings.Sources.AppSettings);
        Assert.Equal("tls.cfg", settings.Sources.TlsCfg);
        Assert.Equal("/run/ctl.sock", settings.ControlSocket);
    }

    [Fact]
    public void Send_takes_a_server_id_and_configuration_files()
    {
        SendSettings settings = SendSettings.Parse(["127.0.0.1:5061", "--server-id", "7", "--tls-cfg", "tls.cfg"]);
        Assert.Equal("7", settings.ServerId);
        Assert.Equal("tls.cfg", settings.Sources.TlsCfg);
    }

    [Fact]
    public async Task Serve_with_a_missing_tls_cfg_fails_with_exit_code_1()
    {
        using var errors = new StringWriter();
        string data = Directory.CreateTempSubdirectory("openssltls-cli-").FullName;
        try
        {
            int exit = await ServeCommand.RunAsync(["--tls-cfg", Path.Combine(data, "missing", "tls.cfg"), "--data-dir", data, "--listen", "127.0.0.1:0"], errors, CancellationToken.None);
            Assert.Equal(ExitCodes.Failure, exit);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "--verify-client" }, VerifyClientMode.On)]
    [InlineData(new[] { "--verify-client", "optional" }, VerifyClientMode.Optional)]
    [InlineData(new[] { "--verify-client=optional_no_ca" }, VerifyClientMode.OptionalNoCa)]
    [InlineData(new[] { "--verify-client", "off" }, VerifyClientMode.Off)]
    public void Verify_client_takes_the_Kamailio_modes(string[] args, VerifyClientMode expected)
    {
        ServeSettings settings = ServeSettings.Parse([.. args, "--ca-list", "ca.pem"]);
        Assert.Equal(expected, settings.VerifyClient);
    }

    [Theory]
    [InlineData("--verify-client")]
    [InlineData("--certificate", "c.pem")]
    [InlineData("--private-key", "k.pem")]
    [InlineData("--unknown")]
    [InlineData("--listen")]
    [InlineData("stray")]
    [InlineData("--log-level", "loud")]
    public void Serve_refuses_incomplete_or_unknown_options(params string[] args)
    {
        Assert.Throws<CommandLineException>(() => ServeSettings.Parse(args));
    }

    [Fact]
    public void Send_parses_its_target_and_options()
    {
        SendSettings settings = SendSettings.Parse(["[::1]:5062", "--count", "3", "--server-name", "sip.example.com", "--verify", "--ca-list", "ca.pem", "--timeout", "4"]);
        Assert.Equal(("::1", 5062, 3, "sip.example.com", true), (settings.Host, settings.Port, settings.Count, settings.ServerName, settings.Verify));
        Assert.Equal(TimeSpan.FromSeconds(4), settings.Timeout);
        Assert.Equal(("example.com", 5061), (SendSettings.Parse(["example.com"]).Host, SendSettings.Parse(["example.com"]).Port));
    }

    [Theory]
    [InlineData]
    [InlineData("a:1", "b:2")]
    [InlineData("host:0")]
    [InlineData("host", "--count", "0")]
    [InlineData("host", "--verify")]
    [InlineData("host", "--certificate", "c.pem")]
    public void Send_refuses_bad_command_lines(params string[] args)
    {
        Assert.Throws<CommandLineException>(() => SendSettings.Parse(args));
    }

    [Fact]
    public void The_data_directory_follows_XDG_then_the_home_directory()
    {
        Assert.Equal("/xdg/openssltls", DataDirectory.ResolveDefault(name => name == "XDG_DATA_HOME" ? "/xdg" : "/home/u"));
        Assert.Equal("/home/u/.local/share/openssltls", DataDirectory.ResolveDefault(name => name == "HOME" ? "/home/u" : null));
        Assert.Equal("/home/u/.local/share/openssltls", DataDirectory.ResolveDefault(name => name == "HOME" ? "/home/u" : "relative/xdg"));
    }

    [SkippableFact]
    public void A_new_data_directory_is_owner_only()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix modes");
        if (OperatingSystem.IsWindows())
        {
            return; // Unreachable after the skip; tells the platform analyzer the Unix calls below are guarded.
        }

        string root = Directory.CreateTempSubdirectory("openssltls-data-").FullName;
        try
        {
            string path = Path.Combine(root, "a", "b");
            Assert.Null(DataDirectory.Prepare(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
            Assert.Contains("accessible to group or others", DataDirectory.Prepare(path), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
