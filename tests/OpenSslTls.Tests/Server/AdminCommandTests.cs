using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary><c>openssltls check</c>, <c>ctl</c> against an in-process <c>serve</c>, <c>serve --tls-cfg</c> and <c>send --server-id</c>.</summary>
public sealed partial class AdminCommandTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private readonly string _directory = Directory.CreateTempSubdirectory("openssltls-admin-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Check_of_a_broken_file_prints_every_error_with_its_place_and_exits_1()
    {
        string config = Write("broken.cfg", "[server:default]\nmethod = TLSv9\nverify_depth = many\n");
        (int exit, string output, _) = await CheckAsync(config);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Matches(@"broken\.cfg:2:\d+: ", output);
        Assert.Matches(@"broken\.cfg:3:\d+: ", output);
    }

    [Fact]
    public async Task Check_reports_an_event_callback_no_handler_answers_to()
    {
        TestPki pki = TestPki.Instance;
        string file = Write("callback.modparams", $"""
            modparam("tls", "certificate", "{pki.ServerEcCertificate}")
            modparam("tls", "private_key", "{pki.ServerEcKey}")
            modparam("tls", "event_callback", "ksr_tls_event")
            """);
        (int exit, string output, string errors) = await CheckAsync(file);
        Assert.True(exit == ExitCodes.Success, output + errors);

        File.AppendAllText(file, "modparam(\"tls\", \"event_callback\", \"on_tls\")\n");
        (exit, output, _) = await CheckAsync(file);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("event_callback: no event handler is named 'on_tls' (openssltls has ksr_tls_event)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_names_the_parameters_that_have_no_effect_here_and_refuses_key_password_mode_1()
    {
        TestPki pki = TestPki.Instance;
        string file = Write("inert.modparams", $"""
            modparam("tls", "certificate", "{pki.ServerEcCertificate}")
            modparam("tls", "private_key", "{pki.ServerEcKey}")
            modparam("tls", "xavp_cfg", "tls")
            modparam("tls", "init_mode", 1)
            modparam("tls", "keylog_mode", 1)
            """);
        (int exit, string output, string errors) = await CheckAsync(file);
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("note: xavp_cfg=tls has no effect here: there is no script engine to set $xavp attributes; pass server_name/server_id per connection with TlsClientOverride", output, StringComparison.Ordinal);
        Assert.Contains("note: init_mode=1 has no effect here: ", output, StringComparison.Ordinal);
        Assert.Contains("note: keylog_mode=1 has no effect here: key logging needs bits 1 (initialise) and 2 (active)", output, StringComparison.Ordinal);

        File.AppendAllText(file, "\nmodparam(\"tls\", \"key_password_mode\", 1)\n");
        (exit, output, _) = await CheckAsync(file);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Matches(@"inert\.modparams:6:\d+: key_password_mode 1 \(ask for the key password on the terminal at start-up\) is not supported", output);
    }

    [Fact]
    public async Task Serve_starts_with_the_built_in_event_callback_and_refuses_an_unknown_one()
    {
        TestPki pki = TestPki.Instance;
        string file = Write("serve.modparams", $"""
            modparam("tls", "certificate", "{pki.ServerEcCertificate}")
            modparam("tls", "private_key", "{pki.ServerEcKey}")
            modparam("tls", "event_callback", "ksr_tls_event")
            """);
        await using (var serve = await InProcessServe.StartAsync(_directory, "--modparams", file))
        {
            (int exit, string output, string errors) = await serve.CtlAsync("tls.options");
            Assert.True(exit == ExitCodes.Success, output + errors);
            Assert.Matches(@"event_callback\W+ksr_tls_event", output);
        }

        File.AppendAllText(file, "modparam(\"tls\", \"event_callback\", \"on_tls\")\n");
        int refused = await ServeCommand.RunAsync(["--modparams", file, "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_directory, "data2"), "--log-level", "warning"], TextWriter.Null, CancellationToken.None);
        Assert.Equal(ExitCodes.Failure, refused);
    }

    [Fact]
    public async Task Check_of_a_modparam_file_with_an_unknown_parameter_exits_1()
    {
        string file = Write("tls.modparams", "loadmodule \"tls.so\"\nmodparam(\"tls\", \"no_such_thing\", 1)\n");
        (int exit, string output, _) = await CheckAsync(file);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Matches(@"tls\.modparams:2:\d+: .*no_such_thing", output);
    }

    [Fact]
    public async Task Check_of_a_good_tls_cfg_prints_the_resolved_profiles()
    {
        TestPki pki = TestPki.Instance;
        string config = Write("tls.cfg", $"""
            [server:default]
            method = TLSv1.2+
            certificate = {pki.ServerEcCertificate}
            private_key = {pki.ServerEcKey}

            [client:default]
            verify_certificate = no

            [client:127.0.0.2:5061]
            server_id = alt
            server_name = sip.example.test
            """);
        (int exit, string output, string errors) = await CheckAsync(config);
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("[server:default]", output, StringComparison.Ordinal);
        Assert.Contains($"certificate: {pki.ServerEcCertificate}", output, StringComparison.Ordinal);
        Assert.Contains("server_id: alt", output, StringComparison.Ordinal);
        Assert.Contains("server_name: sip.example.test", output, StringComparison.Ordinal);
        Assert.Contains("configuration OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_of_appsettings_with_a_missing_certificate_reports_it()
    {
        string file = Write("appsettings.json", """{ "Tls": { "certificate": "/nonexistent/cert.pem", "private_key": "/nonexistent/key.pem" } }""");
        (int exit, string output, _) = await CheckAsync(file);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("/nonexistent/cert.pem", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Check_of_the_shared_fixtures_reports_their_errors_with_file_and_line()
    {
        foreach (string name in new[] { "kamailio-tls-doc-sample.cfg.txt", "kamailio-tls-doc-verify_client.cfg.txt" })
        {
            string file = Prerequisites.SharedFixture(name);
            (int exit, string output, _) = await CheckAsync(file);
            // The docbook samples have literal "..." lines, which are errors.
            Assert.Equal(ExitCodes.Failure, exit);
            Assert.Contains($"{name}:1:1: ", output, StringComparison.Ordinal);
        }

        // It parses; its certificates are not on this machine, which check reports too.
        (int kamailioExit, string kamailioOutput, _) = await CheckAsync(Prerequisites.SharedFixture("kamailio-tls.cfg"));
        Assert.Contains("[server:default]", kamailioOutput, StringComparison.Ordinal);
        Assert.Equal(File.Exists("/usr/local/etc/kamailio/kamailio-selfsigned.pem") ? ExitCodes.Success : ExitCodes.Failure, kamailioExit);
    }

    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_control_socket_refuses_another_uid_even_when_its_file_mode_would_let_it_in()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "SO_PEERCRED is Linux's");
        Skip.IfNot(Environment.UserName == "root" && File.Exists("/usr/bin/setpriv") && File.Exists("/usr/bin/python3"), "needs root, setpriv and python3 to connect as nobody");
        await using var serve = await InProcessServe.StartAsync(_directory);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(serve.ControlSocket));
        (int exit, _, string errors) = await serve.CtlAsync("tls.info");
        Assert.True(exit == ExitCodes.Success, errors);

        // An operator's mistake opens the file to everyone: the uid check still turns nobody away.
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(serve.ControlSocket, (UnixFileMode)0b110_110_110);
        var nobody = new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
            "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(b'tls.info\\n')\ntry:\n r=s.recv(100).decode()\nexcept ConnectionResetError:\n r=''\nprint('reply:'+r)", serve.ControlSocket])
        {
            nobody.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(nobody)!;
        string output = await process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Equal("reply:", output.Trim());

        // Refused without a word (the reason goes to serve's log, on its console); root is still served.
        (exit, _, errors) = await serve.CtlAsync("tls.info");
        Assert.True(exit == ExitCodes.Success, errors);
    }

    [SkippableFact]
    public async Task Ctl_talks_to_serve_lists_kills_and_reloads_a_changed_certificate()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix domain socket permissions");
        TestPki pki = TestPki.Instance;
        string certificate = Path.Combine(_directory, "server.pem");
        string key = Path.Combine(_directory, "server.key");
        File.Copy(pki.ServerEcCertificate, certificate);
        File.Copy(pki.ServerEcKey, key);
        string config = Write("tls.cfg", $"""
            [server:default]
            certificate = {certificate}
            private_key = {key}

            [client:default]
            verify_certificate = no
            """);

        await using var serve = await InProcessServe.StartAsync(_directory, "--tls-cfg", config);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(serve.ControlSocket));
        }

        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{serve.Port}");
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("peer=/CN=localhost", output, StringComparison.Ordinal);

        (exit, output, errors) = await serve.CtlAsync("tls.info");
        Assert.True(exit == ExitCodes.Success, errors);
        Assert.Contains("generation: 1", output, StringComparison.Ordinal);

        // A connection that stays open, then is killed by id.
        using var profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings(), label: "client:test");
        using var limit = new CancellationTokenSource(s_wait);
        await using (SipTlsClient client = await SipTlsClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, serve.Port), profile, null, limit.Token))
        {
            (exit, output, errors) = await serve.CtlAsync("tls.list");
            Assert.True(exit == ExitCodes.Success, errors);
            Match id = IdLine().Match(output);
            Assert.True(id.Success, output);
            Assert.Contains("dom: server:default", output, StringComparison.Ordinal);

            (exit, output, errors) = await serve.CtlAsync("tls.list", "--json");
            Assert.True(exit == ExitCodes.Success, errors);
            Assert.StartsWith("[", output.TrimStart(), StringComparison.Ordinal);

            (exit, _, errors) = await serve.CtlAsync("tls.kill", id.Groups[1].Value);
            Assert.True(exit == ExitCodes.Success, errors);
            bool closed;
            try
            {
                closed = await client.ReadFrameAsync(limit.Token) is null;
            }
            catch (Exception e) when (e is SocketException or SipClientException)
            {
                closed = true;
            }

            Assert.True(closed, "the killed connection stayed open");
            (exit, _, errors) = await serve.CtlAsync("tls.kill", "999999");
            Assert.Equal(ExitCodes.Failure, exit);
            Assert.Contains("no such connection", errors, StringComparison.Ordinal);
        }

        // Replace the certificate on disk, reload: a new connection sees the new one.
        File.Copy(pki.SniServerCertificate, certificate, overwrite: true);
        File.Copy(pki.SniServerKey, key, overwrite: true);
        (exit, output, errors) = await serve.CtlAsync("tls.reload");
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("reloaded", output, StringComparison.Ordinal);
        (exit, output, errors) = await SendAsync($"127.0.0.1:{serve.Port}");
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains($"peer=/CN={TestPki.SniServerName}", output, StringComparison.Ordinal);

        (exit, output, errors) = await serve.CtlAsync("tls.info", "--json");
        Assert.True(exit == ExitCodes.Success, errors);
        Assert.Contains("\"generation\": 2", output, StringComparison.Ordinal);

        (exit, output, errors) = await serve.CtlAsync("tls.options");
        Assert.True(exit == ExitCodes.Success, errors);
        Assert.Contains($"config: {config}", output, StringComparison.Ordinal);

        // A broken file: reload fails, names the place, and the running set stays.
        File.WriteAllText(config, "[server:default]\nmethod = TLSv9\n");
        (exit, _, errors) = await serve.CtlAsync("tls.reload");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("tls.cfg:2:", errors, StringComparison.Ordinal);
        (exit, output, errors) = await SendAsync($"127.0.0.1:{serve.Port}");
        Assert.True(exit == ExitCodes.Success, output + errors);
    }

    [Fact]
    public async Task Ctl_without_a_running_serve_fails_and_a_bad_command_line_exits_2()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        int exit = await CtlCommand.RunAsync(["tls.info", "--socket", Path.Combine(_directory, "nobody.sock")], output, errors, CancellationToken.None);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("cannot talk to the server", errors.ToString(), StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Usage, await CtlCommand.RunAsync(["tls.kill"], output, errors, CancellationToken.None));
        Assert.Equal(ExitCodes.Usage, await CtlCommand.RunAsync(["tls.frob"], output, errors, CancellationToken.None));
        Assert.Equal(ExitCodes.Usage, await CtlCommand.RunAsync([], output, errors, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Serve_with_modparams_expires_idle_connections_and_closes_their_sockets()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix domain sockets");
        TestPki pki = TestPki.Instance;
        string modparams = Write("tls.modparams", $"""
            loadmodule "tls.so"
            modparam("tls", "certificate", "{pki.ServerEcCertificate}")
            modparam("tls", "private_key", "{pki.ServerEcKey}")
            modparam("tls", "connection_timeout", 1)
            """);
        await using var serve = await InProcessServe.StartAsync(_directory, "--modparams", modparams, "--sweep-interval", "1");
        using var profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings(), label: "client:test");
        using var limit = new CancellationTokenSource(s_wait);
        await using SipTlsClient client = await SipTlsClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, serve.Port), profile, null, limit.Token);
        (int exit, string output, string errors) = await serve.CtlAsync("tls.options");
        Assert.True(exit == ExitCodes.Success, errors);
        Assert.Contains("connection_timeout: 1", output, StringComparison.Ordinal);
        bool closed;
        try
        {
            closed = await client.ReadFrameAsync(limit.Token) is null;
        }
        catch (Exception e) when (e is SocketException or SipClientException)
        {
            closed = true;
        }

        Assert.True(closed, "the idle connection stayed open");
    }

    [SkippableFact]
    public async Task Serve_with_appsettings_serves_the_configured_certificate()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix domain sockets");
        TestPki pki = TestPki.Instance;
        string appsettings = Write("appsettings.json", $$"""
            { "Tls": { "certificate": "{{pki.SniServerCertificate}}", "private_key": "{{pki.SniServerKey}}", "tls_method": "TLSv1.3" } }
            """);
        await using var serve = await InProcessServe.StartAsync(_directory, "--appsettings", appsettings);
        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{serve.Port}");
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains($"peer=/CN={TestPki.SniServerName}", output, StringComparison.Ordinal);
        Assert.Contains("TLSv1.3", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_server_id_chooses_the_client_profile_with_that_server_id()
    {
        TestPki pki = TestPki.Instance;
        await using ServerTestHost host = ServerTestHost.Start();
        string config = Write("client.cfg", $"""
            [server:default]
            certificate = {pki.ServerEcCertificate}
            private_key = {pki.ServerEcKey}

            [client:default]
            verify_certificate = no

            [client:127.0.0.2:5061]
            server_id = alt
            verify_certificate = yes
            require_certificate = yes
            ca_list = {pki.RootCaCertificate}
            """);

        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{host.Port}", "--tls-cfg", config, "--server-id", "alt");
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("client profile: client:127.0.0.2:5061", output, StringComparison.Ordinal);
        Assert.Contains("verified=yes", output, StringComparison.Ordinal);
        Assert.Contains("event tls:connection-out", output, StringComparison.Ordinal);

        (exit, output, errors) = await SendAsync($"127.0.0.1:{host.Port}", "--tls-cfg", config);
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("client profile: client:default", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Errors)> CheckAsync(string file)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        int exit = await CheckCommand.RunAsync([file], output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    private static async Task<(int Exit, string Output, string Errors)> SendAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        using var limit = new CancellationTokenSource(s_wait);
        int exit = await SendCommand.RunAsync([.. args, "--timeout", "10"], output, errors, limit.Token);
        return (exit, output.ToString(), errors.ToString());
    }

    [GeneratedRegex(@"^\s*id: (\d+)$", RegexOptions.Multiline)]
    private static partial Regex IdLine();

    private string Write(string name, string text)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    [SkippableFact]
    public async Task Ctl_core_memory_reports_the_resident_set_and_the_live_managed_heap_and_max_connections_caps_serve()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix domain socket permissions");
        await using var serve = await InProcessServe.StartAsync(_directory, "--max-connections", "1");
        (int exit, string output, string errors) = await serve.CtlAsync("core.memory");
        Assert.True(exit == ExitCodes.Success, errors);
        Match rss = Regex.Match(output, @"^rss: (\d+)$", RegexOptions.Multiline);
        Match live = Regex.Match(output, @"^managed_live: (\d+)$", RegexOptions.Multiline);
        Assert.True(rss.Success && live.Success, output);
        Assert.True(long.Parse(rss.Groups[1].Value, CultureInfo.InvariantCulture) > long.Parse(live.Groups[1].Value, CultureInfo.InvariantCulture), output);
        Assert.True(long.Parse(live.Groups[1].Value, CultureInfo.InvariantCulture) > 0, output);
        (exit, output, errors) = await serve.CtlAsync("core.memory", "--json");
        Assert.True(exit == ExitCodes.Success, errors);
        using (var json = System.Text.Json.JsonDocument.Parse(output))
        {
            Assert.True(json.RootElement.GetProperty("managed_live").GetInt64() > 0, output);
            Assert.True(json.RootElement.GetProperty("gc_committed").GetInt64() > 0, output);
        }

        // --max-connections 1: the second connection open at once is closed at accept; the first still answers.
        using var profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings(), label: "client:test");
        using var limit = new CancellationTokenSource(s_wait);
        await using SipTlsClient first = await SipTlsClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, serve.Port), profile, null, limit.Token);
        bool refused = false;
        try
        {
            await using SipTlsClient second = await SipTlsClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, serve.Port), profile, null, limit.Token);
            await second.SendAsync(SipRequests.Options(1), limit.Token);
            refused = await second.ReadFrameAsync(limit.Token) is null;
        }
        catch (Exception e) when (e is SocketException or SipClientException or IOException)
        {
            refused = true;
        }

        Assert.True(refused, "a second connection was served under --max-connections 1");
        await first.SendAsync(SipRequests.Options(2), limit.Token);
        Assert.StartsWith("SIP/2.0 200 ", (await first.ReadFrameAsync(limit.Token))?.Text, StringComparison.Ordinal);
    }

    /// <summary><c>openssltls serve</c> run in-process on a free port with its control socket in a temporary directory.</summary>
    private sealed class InProcessServe : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly StringWriter _errors = new();
        private Task<int>? _run;

        private InProcessServe(string directory, int port)
        {
            Port = port;
            ControlSocket = Path.Combine(directory, "ctl.sock");
        }

        public int Port { get; }

        public string ControlSocket { get; }

        public static async Task<InProcessServe> StartAsync(string directory, params string[] args)
        {
            int port = FreePort();
            var serve = new InProcessServe(directory, port);
            string data = Path.Combine(directory, "data");
            serve._run = Task.Run(() => ServeCommand.RunAsync(
                [.. args, "--listen", $"127.0.0.1:{port}", "--control-socket", serve.ControlSocket, "--data-dir", data, "--log-level", "warning"],
                serve._errors,
                serve._stop.Token));
            DateTime until = DateTime.UtcNow + s_wait;
            while (!File.Exists(serve.ControlSocket))
            {
                if (serve._run.IsCompleted || DateTime.UtcNow > until)
                {
                    int exit = serve._run.IsCompleted ? await serve._run : -1;
                    throw new InvalidOperationException($"serve did not start (exit {exit}): {serve._errors}");
                }

                await Task.Delay(50);
            }

            return serve;
        }

        public async Task<(int Exit, string Output, string Errors)> CtlAsync(params string[] args)
        {
            using var output = new StringWriter();
            using var errors = new StringWriter();
            using var limit = new CancellationTokenSource(s_wait);
            int exit = await CtlCommand.RunAsync([.. args, "--socket", ControlSocket], output, errors, limit.Token);
            return (exit, output.ToString(), errors.ToString());
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_run is not null)
            {
                Assert.Equal(ExitCodes.Success, await _run.WaitAsync(s_wait));
            }

            _stop.Dispose();
            _errors.Dispose();
        }

        private static int FreePort()
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
    }
}
