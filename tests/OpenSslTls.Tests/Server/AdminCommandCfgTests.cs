using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary><c>openssltls ctl cfg.get/cfg.set</c> and <c>tls.reload</c> against a running <c>serve</c>, watched on its connections.</summary>
public sealed partial class AdminCommandTests
{
    private string ModparamFile()
    {
        TestPki pki = TestPki.Instance;
        return Write("tls.modparams", $"""
            loadmodule "tls.so"
            modparam("tls", "certificate", "{pki.ServerEcCertificate}")
            modparam("tls", "private_key", "{pki.ServerEcKey}")
            """);
    }

    [SkippableFact]
    public async Task Ctl_cfg_set_connection_timeout_closes_a_silent_connection_of_the_running_serve()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix domain sockets");
        await using var serve = await InProcessServe.StartAsync(_directory, "--modparams", ModparamFile(), "--sweep-interval", "1");
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(new IPEndPoint(IPAddress.Loopback, serve.Port));
        string output = string.Empty;
        for (int attempt = 0; attempt < 100 && !output.Contains("id: ", StringComparison.Ordinal); attempt++)
        {
            (_, output, _) = await serve.CtlAsync("tls.list");
            await Task.Delay(50);
        }

        Assert.Matches(@"timeout: (59\d|600)\n", output.ReplaceLineEndings("\n"));

        (int exit, output, string errors) = await serve.CtlAsync("cfg.set", "tls", "connection_timeout", "1");
        Assert.True(exit == ExitCodes.Success, errors);
        Assert.Contains("tls.connection_timeout: 600 -> 1", output, StringComparison.Ordinal);

        // Closed by the idle sweep, well before serve's 10 s handshake timeout would have closed it.
        var clock = Stopwatch.StartNew();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        bool closed;
        try
        {
            closed = await silent.ReceiveAsync(new byte[16], SocketFlags.None, limit.Token) == 0;
        }
        catch (SocketException)
        {
            closed = true;
        }
        catch (OperationCanceledException)
        {
            closed = false;
        }

        Assert.True(closed, $"the connection was still open after {clock.Elapsed.TotalSeconds:F1} s");
        (exit, output, errors) = await serve.CtlAsync("cfg.get", "tls", "connection_timeout", "--json");
        Assert.True(exit == ExitCodes.Success, errors);
        Assert.Contains("\"connection_timeout\": 1", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Ctl_cfg_set_low_mem_threshold1_refuses_new_connections_until_set_back()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix domain sockets");
        await using var serve = await InProcessServe.StartAsync(_directory, "--modparams", ModparamFile());
        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{serve.Port}");
        Assert.True(exit == ExitCodes.Success, output + errors);

        // 2^30 KB (1 TiB, Kamailio's largest value) of free memory is more than this machine has.
        (exit, _, errors) = await serve.CtlAsync("cfg.set_now_int", "tls", "low_mem_threshold1", "1073741824");
        Assert.True(exit == ExitCodes.Success, errors);
        (exit, output, errors) = await SendAsync($"127.0.0.1:{serve.Port}");
        Assert.NotEqual(ExitCodes.Success, exit);

        (exit, _, errors) = await serve.CtlAsync("cfg.seti", "tls", "low_mem_threshold1", "0");
        Assert.True(exit == ExitCodes.Success, errors);
        (exit, output, errors) = await SendAsync($"127.0.0.1:{serve.Port}");
        Assert.True(exit == ExitCodes.Success, output + errors);
    }

    [SkippableFact]
    public async Task Ctl_cfg_commands_answer_Kamailios_refusals_by_name()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix domain sockets");
        await using var serve = await InProcessServe.StartAsync(_directory, "--modparams", ModparamFile());

        (int exit, string output, string errors) = await serve.CtlAsync("cfg.set", "tls", "verify_depth", "3");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("tls.verify_depth is read-only", errors, StringComparison.Ordinal);

        (exit, _, errors) = await serve.CtlAsync("cfg.set", "tls", "ct_wq_blk_size", "0");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("tls.ct_wq_blk_size must be 1..65536, not 0", errors, StringComparison.Ordinal);

        (exit, _, errors) = await serve.CtlAsync("cfg.set_now_string", "tls", "nonsense", "1");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("no variable tls.nonsense", errors, StringComparison.Ordinal);

        (exit, _, errors) = await serve.CtlAsync("cfg.sets", "tls", "log", "loud");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("tls.log takes an integer, not 'loud'", errors, StringComparison.Ordinal);

        (exit, _, errors) = await serve.CtlAsync("cfg.set", "tls", "send_close_notify", "-1");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("tls.send_close_notify must be 0..1, not -1", errors, StringComparison.Ordinal);

        (exit, output, errors) = await serve.CtlAsync("cfg.get", "tls");
        Assert.True(exit == ExitCodes.Success, errors);
        Assert.Contains("connection_timeout: 600", output, StringComparison.Ordinal);
        Assert.Contains("method: TLSv1.2+", output, StringComparison.Ordinal);

        // A value with spaces reaches the server whole.
        string spaced = Path.Combine(_directory, "with space", "tls.cfg");
        (exit, output, errors) = await serve.CtlAsync("cfg.set", "tls", "config", spaced);
        Assert.True(exit == ExitCodes.Success, errors);
        (_, output, _) = await serve.CtlAsync("cfg.get", "tls", "config");
        Assert.Equal(spaced, output.Trim());

        using var text = new StringWriter();
        Assert.Equal(ExitCodes.Usage, await CtlCommand.RunAsync(["cfg.set", "tls", "log"], text, text, CancellationToken.None));
        Assert.Equal(ExitCodes.Usage, await CtlCommand.RunAsync(["cfg.get"], text, text, CancellationToken.None));
        Assert.Equal(ExitCodes.Usage, await CtlCommand.RunAsync(["tls.info", "extra"], text, text, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Ctl_tls_reload_without_a_tls_cfg_answers_as_Kamailio_until_cfg_set_config_names_one()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix domain sockets");
        TestPki pki = TestPki.Instance;
        await using var serve = await InProcessServe.StartAsync(_directory, "--modparams", ModparamFile());
        (int exit, string output, string errors) = await serve.CtlAsync("tls.reload");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("No TLS configuration file configured", errors, StringComparison.Ordinal);
        (exit, output, errors) = await serve.CtlAsync("tls.info");
        Assert.Contains("generation: 1", output, StringComparison.Ordinal);

        string config = Write("new_tls.cfg", $"""
            [server:default]
            certificate = {pki.SniServerCertificate}
            private_key = {pki.SniServerKey}

            [client:default]
            verify_certificate = no
            """);
        (exit, _, errors) = await serve.CtlAsync("cfg.set_now_string", "tls", "config", config);
        Assert.True(exit == ExitCodes.Success, errors);
        (exit, output, errors) = await serve.CtlAsync("tls.reload");
        Assert.True(exit == ExitCodes.Success, output + errors);
        (exit, output, errors) = await SendAsync($"127.0.0.1:{serve.Port}");
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains($"peer=/CN={TestPki.SniServerName}", output, StringComparison.Ordinal);
    }
}
