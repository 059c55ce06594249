using System.Net;
using System.Net.Sockets;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary><c>openssltls send</c> run in-process against the in-process server.</summary>
public sealed class SendCommandTests : NativeLeakCheck
{
    [Fact]
    public async Task Send_prints_the_TLS_facts_and_every_200()
    {
        await using ServerTestHost host = ServerTestHost.Start();
        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{host.Port}", "--count", "3", "--server-name", "localhost");

        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Matches(@"tls: TLSv1\.3 TLS_\w+ \(\d+ bits\), sni=localhost, peer=/CN=localhost, verified=no \(.+\), resumed=no", output);
        Assert.Contains("--- OPTIONS 1/3: SIP/2.0 200 OK", output, StringComparison.Ordinal);
        Assert.Contains("--- OPTIONS 3/3: SIP/2.0 200 OK", output, StringComparison.Ordinal);
        Assert.Contains("CSeq: 3 OPTIONS", output, StringComparison.Ordinal);
        Assert.Contains("3 of 3 OPTIONS answered with 2xx", output, StringComparison.Ordinal);
        Assert.True(await host.WaitForLogAsync("sni=localhost", TimeSpan.FromSeconds(10)), host.LogText);
    }

    [Fact]
    public async Task Send_verifies_the_server_against_the_CA_list()
    {
        TestPki pki = TestPki.Instance;
        await using ServerTestHost host = ServerTestHost.Start();
        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{host.Port}", "--verify", "--ca-list", pki.RootCaCertificate);
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("peer=/CN=localhost, verified=yes", output, StringComparison.Ordinal);

        (exit, output, errors) = await SendAsync($"127.0.0.1:{host.Port}", "--verify", "--ca-list", pki.UntrustedRootCaCertificate);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("verif", errors, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Send_presents_a_client_certificate()
    {
        TestPki pki = TestPki.Instance;
        await using ServerTestHost host = ServerTestHost.Start(settings: new TlsProfileSettings
        {
            Certificate = pki.ServerEcCertificate,
            PrivateKey = pki.ServerEcKey,
            CaList = pki.RootCaCertificate,
            VerifyClient = VerifyClientMode.On,
        });
        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{host.Port}", "--certificate", pki.ClientCertificate, "--private-key", pki.ClientKey);
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.True(await host.WaitForLogAsync("peer=/CN=alice, verified=yes", TimeSpan.FromSeconds(10)), host.LogText);
    }

    [Fact]
    public async Task Send_to_a_port_nobody_listens_on_fails_with_exit_code_1()
    {
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        (int exit, _, string errors) = await SendAsync($"127.0.0.1:{port}", "--timeout", "5");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.StartsWith("openssltls send: ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_with_a_client_only_tls_cfg_needs_no_server_certificate()
    {
        // Only client profiles, and no cert.pem anywhere near: the built-in [server:default] would fail on it.
        TestPki pki = TestPki.Instance;
        await using ServerTestHost host = ServerTestHost.Start();
        using var directory = new Configuration.TempDirectory();
        string config = directory.Write("client.cfg", $"""
            [client:default]
            verify_certificate = yes
            require_certificate = yes
            ca_list = {pki.RootCaCertificate}

            [client:127.0.0.2:5061]
            server_id = other
            """);
        Assert.False(File.Exists(Path.Combine(directory.Path, "cert.pem")));

        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{host.Port}", "--tls-cfg", config, "--server-name", "localhost");

        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("client profile: client:default", output, StringComparison.Ordinal);
        Assert.Contains("peer=/CN=localhost, verified=yes", output, StringComparison.Ordinal);
        Assert.Contains("1 of 1 OPTIONS answered with 2xx", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_with_modparams_naming_the_built_in_event_callback_prints_the_connection_facts()
    {
        TestPki pki = TestPki.Instance;
        await using ServerTestHost host = ServerTestHost.Start();
        using var directory = new Configuration.TempDirectory();
        string modparams = directory.Write("tls.modparams", $"""
            loadmodule "tls.so"
            modparam("tls", "certificate", "{pki.ClientCertificate}")
            modparam("tls", "private_key", "{pki.ClientKey}")
            modparam("tls", "event_callback", "ksr_tls_event")
            """);

        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{host.Port}", "--modparams", modparams, "--server-name", "localhost");

        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Matches($@"event_callback ksr_tls_event\(tls:connection-out\): connection 1 to 127\.0\.0\.1:{host.Port}, profile client:default, TLSv1\.3 TLS_\w+ \(\d+ bits\), sni=localhost, peer=/CN=localhost, verified=no", output);
        Assert.Contains("event tls:connection-out: connection 1, profile client:default", output, StringComparison.Ordinal);

        // A name no handler has stops send before it connects, naming the handlers there are.
        File.AppendAllText(modparams, "modparam(\"tls\", \"event_callback\", \"my_event\")\n");
        (exit, output, errors) = await SendAsync($"127.0.0.1:{host.Port}", "--modparams", modparams);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("event_callback: no event handler is named 'my_event' (the host registers ksr_tls_event)", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("connected to", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_with_server_id_and_server_name_uses_that_profile_and_sends_exactly_that_SNI()
    {
        // What Kamailio's xavp_cfg attributes do per connection: server_id picks [client:...], server_name is the SNI.
        TestPki pki = TestPki.Instance;
        await using ServerTestHost host = ServerTestHost.Start(settings: new TlsProfileSettings
        {
            Certificate = pki.ServerEcCertificate,
            PrivateKey = pki.ServerEcKey,
            CaList = pki.RootCaCertificate,
            VerifyClient = VerifyClientMode.On,
        });
        using var directory = new Configuration.TempDirectory();
        string config = directory.Write("client.cfg", $"""
            [client:default]
            verify_certificate = no

            [client:127.0.0.9:5061]
            server_id = alice-id
            certificate = {pki.ClientCertificate}
            private_key = {pki.ClientKey}
            """);

        (int exit, string output, string errors) = await SendAsync(
            $"127.0.0.1:{host.Port}", "--tls-cfg", config, "--server-id", "alice-id", "--server-name", "sip.example.test");

        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("client profile: client:127.0.0.9:5061", output, StringComparison.Ordinal);
        Assert.True(await host.WaitForLogAsync("sni=sip.example.test, peer=/CN=alice, verified=yes", TimeSpan.FromSeconds(10)), host.LogText);

        // A server_id no profile has is an error naming the ones there are, before anything is sent.
        (exit, output, errors) = await SendAsync($"127.0.0.1:{host.Port}", "--tls-cfg", config, "--server-id", "alice");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--server-id 'alice': no [client:...] profile has this server_id (there are: alice-id (client:127.0.0.9:5061))", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("connected to", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--server-name", "10.0.0.1", "--server-name '10.0.0.1': an IP address is not a valid SNI host name")]
    [InlineData("--server-name", "sip_proxy example", "--server-name 'sip_proxy example': ' ' is not allowed in a host name")]
    [InlineData("--server-id", "", "--server-id '': expected the server_id of a [client:...] profile")]
    public async Task Send_refuses_a_server_name_or_server_id_that_cannot_be_used(string option, string value, string message)
    {
        (int exit, string output, string errors) = await SendAsync("127.0.0.1:5061", option, value);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.StartsWith("openssltls send: " + message, errors, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    private static async Task<(int Exit, string Output, string Errors)> SendAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int exit = await SendCommand.RunAsync(args, output, errors, limit.Token);
        return (exit, output.ToString(), errors.ToString());
    }
}
