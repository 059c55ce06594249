using System.Net;
using System.Net.Sockets;
using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// The real <c>openssltls</c> program as a new user meets it: help for every command, errors naming the bad value and
/// the valid ones, one short line per configuration error, and failures that name the socket path or address.
/// </summary>
public sealed class CliUsabilityTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);
    private readonly string _root = Directory.CreateTempSubdirectory("openssltls-cli-").FullName;

    [SkippableTheory]
    [InlineData("serve --help", "usage: openssltls serve", "--verify-client [MODE]")]
    [InlineData("serve -h", "usage: openssltls serve", "--sweep-interval SECONDS")]
    [InlineData("send -h", "usage: openssltls send HOST[:PORT]", "--server-name NAME")]
    [InlineData("send 127.0.0.1:1 --help", "usage: openssltls send HOST[:PORT]", "--timeout SECONDS")]
    [InlineData("check --help", "usage: openssltls check FILE", "--as KIND")]
    [InlineData("ctl --help", "usage: openssltls ctl COMMAND", "--socket PATH")]
    [InlineData("help ctl", "usage: openssltls ctl COMMAND", "--json")]
    [InlineData("--help", "usage: openssltls <command>", "ctl COMMAND [ARGS]")]
    [InlineData("-h", "usage: openssltls <command>", "check FILE")]
    public void Every_command_has_help_on_standard_output_with_exit_code_0(string commandLine, string usage, string option)
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        (int exit, string output) = EndpointProcess.Run(s_wait, commandLine.Split(' '));
        Assert.True(exit == 0, output);
        Assert.StartsWith(usage, output, StringComparison.Ordinal);
        Assert.Contains(option, output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_command_list_names_every_command()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        (int exit, string output) = EndpointProcess.Run(s_wait, "--help");
        Assert.Equal(0, exit);
        foreach (string command in new[] { "serve", "send HOST[:PORT]", "check FILE", "ctl COMMAND [ARGS]", "help [COMMAND]" })
        {
            Assert.Contains(Environment.NewLine + "  " + command, output, StringComparison.Ordinal);
        }

        (exit, output) = EndpointProcess.Run(s_wait, "help", "frobnicate");
        Assert.Equal(2, exit);
        Assert.Contains("unknown command 'frobnicate': use serve, send, check or ctl", output, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("--verify-client", "maybe")]
    [InlineData("--verify-client=maybe", null)]
    public void A_bad_verify_client_mode_is_named_with_the_valid_ones(string option, string? value)
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        string[] args = value is null ? ["serve", option] : ["serve", option, value];
        (int exit, string output) = EndpointProcess.Run(s_wait, args);
        Assert.Equal(2, exit);
        Assert.Contains("openssltls serve: --verify-client 'maybe': use on, off, optional or optional_no_ca", output, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected argument", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void An_unknown_option_points_to_the_command_help()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        (int exit, string output) = EndpointProcess.Run(s_wait, "send", "127.0.0.1", "--frob");
        Assert.Equal(2, exit);
        Assert.Contains("openssltls send: unknown option --frob (see: openssltls send --help)", output, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("missing", "No such file or directory")]
    [InlineData("directory", "no start line")]
    public void A_certificate_that_cannot_be_loaded_is_one_short_line_with_the_detail_at_debug_level(string kind, string reason)
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        TestPki pki = TestPki.Instance;
        string certificate = kind switch
        {
            "missing" => Path.Combine(_root, "missing.pem"),
            "directory" => Directory.CreateDirectory(Path.Combine(_root, "a-directory")).FullName,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        string[] args = ["serve", "--certificate", certificate, "--private-key", pki.ServerEcKey, "--data-dir", Path.Combine(_root, "data"), "--listen", "127.0.0.1:0"];
        (int exit, string output) = EndpointProcess.Run(s_wait, args);
        Assert.Equal(1, exit);
        string[] failures = [.. output.Split(Environment.NewLine).Where(line => line.Contains("cannot start", StringComparison.Ordinal))];
        string failure = Assert.Single(failures);
        Assert.Contains($"certificate: cannot load certificate chain '{certificate}': {reason}", failure, StringComparison.Ordinal);
        Assert.Contains("profiles server:default, client:default:", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(".c:", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("routines", failure, StringComparison.Ordinal);
        Assert.True(failure.Length < 250, failure);
        Assert.DoesNotContain(".c:", output, StringComparison.Ordinal);

        (exit, output) = EndpointProcess.Run(s_wait, [.. args, "--log-level", "debug"]);
        Assert.Equal(1, exit);
        Assert.Contains("the failure in full:", output, StringComparison.Ordinal);
        Assert.Contains("use_certificate_chain_file", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Serve_takes_a_DER_certificate_and_key_and_names_a_file_that_is_neither_PEM_nor_DER()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        TestPki pki = TestPki.Instance;
        string certificate = Path.Combine(_root, "server.der");
        string key = Path.Combine(_root, "server-key.der");
        OpenSslCli.RunChecked(["x509", "-in", pki.ServerEcCertificate, "-outform", "DER", "-out", certificate]);
        OpenSslCli.RunChecked(["pkey", "-in", pki.ServerEcKey, "-outform", "DER", "-out", key]);
        using (EndpointProcess serve = EndpointProcess.Start("serve", "--certificate", certificate, "--private-key", key, "--data-dir", Path.Combine(_root, "data"), "--listen", "127.0.0.1:0"))
        {
            await serve.WaitForAsync(new System.Text.RegularExpressions.Regex(@"listening for SIP over TLS on 127\.0\.0\.1:\d+"), s_wait);
            serve.Terminate();
            Assert.Equal(0, serve.WaitForExit(s_wait));
        }

        string garbage = Path.Combine(_root, "garbage.crt");
        File.WriteAllText(garbage, "neither PEM nor DER\n");
        (int exit, string output) = EndpointProcess.Run(s_wait, "serve", "--certificate", garbage, "--private-key", pki.ServerEcKey, "--data-dir", Path.Combine(_root, "data2"), "--listen", "127.0.0.1:0");
        Assert.Equal(1, exit);
        string failure = Assert.Single(output.Split(Environment.NewLine), line => line.Contains("cannot start", StringComparison.Ordinal));
        Assert.Contains(garbage, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("no start line", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("routines", failure, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Ctl_without_a_server_says_that_none_listens_on_the_socket_path()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        string missing = Path.Combine(_root, "nobody.sock");
        (int exit, string output) = EndpointProcess.Run(s_wait, "ctl", "tls.list", "--socket", missing);
        Assert.Equal(1, exit);
        Assert.Contains($"openssltls ctl: cannot talk to the server at {missing}: no server listens on this socket path", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Cannot assign requested address", output, StringComparison.Ordinal);

        // A stale socket file left by a server that is gone: the same answer, not "Connection refused".
        string stale = Path.Combine(_root, "stale.sock");
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            listener.Bind(new UnixDomainSocketEndPoint(stale));
        }

        (exit, output) = EndpointProcess.Run(s_wait, "ctl", "tls.info", "--socket", stale);
        Assert.Equal(1, exit);
        Assert.Contains($"cannot talk to the server at {stale}: no server listens on this socket path", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Send_names_the_address_it_could_not_reach()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        (int exit, string output) = EndpointProcess.Run(s_wait, "send", $"127.0.0.1:{port}", "--timeout", "5");
        Assert.Equal(1, exit);
        Assert.Contains($"openssltls send: cannot connect to 127.0.0.1:{port}: ", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
