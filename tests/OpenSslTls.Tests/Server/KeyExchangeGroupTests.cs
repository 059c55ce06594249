using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using OpenSslTls.Configuration;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// The <c>groups</c> profile key (SSL_CTX_set1_groups_list) and the negotiated group as a connection fact: in
/// <c>Info</c>, in serve's connection log line and in <c>tls.list</c>.
/// </summary>
public sealed partial class KeyExchangeGroupTests : NativeLeakCheck
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    [SkippableFact]
    public async Task A_server_group_list_is_what_a_TLS13_client_must_use_and_the_group_is_logged()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        TestPki pki = TestPki.Instance;
        await using ServerTestHost host = ServerTestHost.Start(settings: new TlsProfileSettings
        {
            Certificate = pki.ServerEcCertificate,
            PrivateKey = pki.ServerEcKey,
            Groups = "secp384r1",
        });

        // s_client offers X25519 first: the server's list makes it retry with secp384r1 (HelloRetryRequest).
        using (OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet", "-tls1_3", "-groups", "X25519:secp384r1"))
        {
            client.WriteRaw(SipRequests.Options(1));
            Assert.True(client.WaitForOutput("SIP/2.0 200 OK", s_wait), client.Output);
        }

        Assert.True(await host.WaitForLogAsync("group=secp384r1", s_wait), host.LogText);
        Assert.Matches(@"connection 1 from 127\.0\.0\.1:\d+: TLSv1\.3 .*, resumed=no, group=secp384r1", host.LogText);

        // A client that offers only groups the server refuses gets no handshake.
        using OpenSslProcess refused = OpenSslProcess.StartClient(host.Port, "-quiet", "-tls1_3", "-groups", "X25519");
        Assert.NotEqual(0, refused.WaitForExit(s_wait));
        Assert.DoesNotContain("group=x25519", host.LogText, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public async Task A_client_group_list_is_negotiated_and_is_a_fact_of_Info()
    {
        await using ServerTestHost host = ServerTestHost.Start();
        // One group only: with several, which one wins is the server's preference (OpenSSL 3.5 servers prefer their own
        // order and may answer with a HelloRetryRequest), not the client list's.
        TlsProfile profile = host.ClientProfile(new TlsProfileSettings { Groups = "P-384" });
        using var limit = new CancellationTokenSource(s_wait);
        await using SipTlsClient client = await host.ConnectAsync(limit.Token, profile);
        Assert.Equal("TLSv1.3", client.Info.Protocol);
        Assert.Equal("secp384r1", client.Info.KeyExchangeGroup);
    }

    [SkippableFact]
    public async Task TLS12_ECDHE_reports_its_curve_and_RSA_key_exchange_reports_none()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        TestPki pki = TestPki.Instance;
        await using (ServerTestHost host = ServerTestHost.Start(settings: new TlsProfileSettings
        {
            Method = TlsMethod.TLSv1_2,
            Certificate = pki.ServerEcCertificate,
            PrivateKey = pki.ServerEcKey,
            Groups = "P-256",
        }))
        {
            using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet", "-tls1_2");
            client.WriteRaw(SipRequests.Options(1));
            Assert.True(client.WaitForOutput("SIP/2.0 200 OK", s_wait), client.Output);
            Assert.True(await host.WaitForLogAsync("group=secp256r1", s_wait), host.LogText);
            Assert.Matches(@"TLSv1\.2 ECDHE-ECDSA-\S+ .*group=secp256r1", host.LogText);
        }

        await using (ServerTestHost host = ServerTestHost.Start(settings: new TlsProfileSettings
        {
            Method = TlsMethod.TLSv1_2,
            Certificate = pki.ServerRsaCertificate,
            PrivateKey = pki.ServerRsaKey,
            CipherList = "AES128-GCM-SHA256",
        }))
        {
            using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-quiet", "-tls1_2", "-cipher", "AES128-GCM-SHA256");
            client.WriteRaw(SipRequests.Options(1));
            Assert.True(client.WaitForOutput("SIP/2.0 200 OK", s_wait), client.Output);
            Assert.True(await host.WaitForLogAsync("group=-", s_wait), host.LogText);
        }
    }

    [Fact]
    public void A_group_unknown_to_the_loaded_OpenSSL_fails_the_profile_naming_it()
    {
        TestPki pki = TestPki.Instance;
        var settings = new TlsProfileSettings { Certificate = pki.ServerEcCertificate, PrivateKey = pki.ServerEcKey, Groups = "X25519:NoSuchGroup:P-256" };
        TlsProfileException e = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, settings).Dispose());
        Assert.Equal("groups", e.Parameter);
        Assert.Contains("knows no group 'NoSuchGroup' (in 'X25519:NoSuchGroup:P-256')", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'X25519'", e.Message, StringComparison.Ordinal);

        // The post-quantum hybrid: offered from OpenSSL 3.5 on, a clear refusal before.
        var hybrid = settings with { Groups = "X25519MLKEM768:X25519" };
        if (OpenSslRuntime.Version is { Major: 3, Minor: < 5 })
        {
            e = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, hybrid).Dispose());
            Assert.Contains($"the loaded OpenSSL {OpenSslRuntime.Version} knows no group 'X25519MLKEM768'", e.Message, StringComparison.Ordinal);
        }
        else
        {
            TlsProfile.Create(TlsRole.Server, hybrid).Dispose();
        }
    }

    [SkippableFact]
    public async Task The_tls_cfg_key_reaches_serve_whose_log_and_tls_list_show_the_group()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        TestPki pki = TestPki.Instance;
        string directory = Directory.CreateTempSubdirectory("openssltls-groups-").FullName;
        try
        {
            string config = Path.Combine(directory, "tls.cfg");
            File.WriteAllText(config, $"""
                [server:default]
                certificate = {pki.ServerEcCertificate}
                private_key = {pki.ServerEcKey}
                groups = P-521:P-384
                """);
            (int exit, string output) = EndpointProcess.Run(s_wait, "check", config);
            Assert.True(exit == 0, output);
            Assert.Contains("groups: P-521:P-384", output, StringComparison.Ordinal);

            string socket = Path.Combine(directory, "ctl.sock");
            using EndpointProcess serve = EndpointProcess.Start("serve", "--tls-cfg", config, "--data-dir", directory, "--listen", "127.0.0.1:0", "--control-socket", socket);
            string port = (await serve.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
            using OpenSslProcess client = OpenSslProcess.StartClient(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), "-quiet", "-groups", "P-256:P-384");
            client.WriteRaw(SipRequests.Options(1));
            Assert.True(client.WaitForOutput("SIP/2.0 200 OK", s_wait), client.Output);
            await serve.WaitForAsync(new Regex("resumed=no, group=secp384r1"), s_wait);

            (exit, output) = EndpointProcess.Run(s_wait, "ctl", "tls.list", "--socket", socket);
            Assert.True(exit == 0, output);
            Assert.Contains("\tgroup: secp384r1", output, StringComparison.Ordinal);
            (exit, output) = EndpointProcess.Run(s_wait, "ctl", "tls.list", "--json", "--socket", socket);
            Assert.True(exit == 0, output);
            Assert.Matches("\"key_exchange_group\"\\s*:\\s*\"secp384r1\"", output);
            serve.Terminate();
            Assert.Equal(0, serve.WaitForExit(s_wait));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_groups_modparam_and_appsettings_key_become_the_default_profiles_groups()
    {
        var options = new TlsModuleOptions();
        TlsModuleOptionsReader.ApplyModparams(options, "modparam(\"tls\", \"groups\", \"P-384:P-256\")\n", "kamailio.cfg");
        Assert.Equal("P-384:P-256", options.Groups);
        Assert.Equal("P-384:P-256", options.ToProfileSettings().Groups);
        Assert.Contains("modparam(\"tls\", \"groups\", \"P-384:P-256\")", TlsModuleOptionsReader.ToModparams(options), StringComparison.Ordinal);
        Assert.Equal("P-384:P-256", options.Clone().Groups);

        // An empty value unsets it, as for the other optional strings.
        TlsModuleOptionsReader.ApplyModparams(options, "modparam(\"tls\", \"groups\", \"\")\n", "kamailio.cfg");
        Assert.Null(options.ToProfileSettings().Groups);

        IConfigurationRoot json = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes("""{ "Tls": { "groups": "X25519:P-256" } }""")))
            .Build();
        Assert.Equal("X25519:P-256", TlsModuleOptionsReader.FromConfiguration(json).ToProfileSettings().Groups);
    }

    [Fact]
    public void A_groups_modparam_unknown_to_the_loaded_OpenSSL_fails_the_default_profiles_naming_it()
    {
        TestPki pki = TestPki.Instance;
        var options = new TlsModuleOptions { Certificate = pki.ServerEcCertificate, PrivateKey = pki.ServerEcKey, Groups = "P-256:NoSuchGroup" };
        TlsProfileSetException failed = Assert.Throws<TlsProfileSetException>(() => TlsProfileSet.Load(options).Dispose());
        // The modparam template is both default profiles: each fails, naming the parameter and the unknown group.
        Assert.Equal(["server:default", "client:default"], failed.Failures.Select(failure => failure.Profile));
        foreach (TlsProfileException e in failed.Failures)
        {
            Assert.Equal("groups", e.Parameter);
            Assert.Contains($"the loaded OpenSSL {OpenSslRuntime.Version} knows no group 'NoSuchGroup' (in 'P-256:NoSuchGroup')", e.Message, StringComparison.Ordinal);
        }

        // The same list without the unknown name builds both default profiles with it.
        using TlsProfileSet set = TlsProfileSet.Load(new TlsModuleOptions { Certificate = pki.ServerEcCertificate, PrivateKey = pki.ServerEcKey, Groups = "P-256" });
    }

    [SkippableFact]
    public async Task Serve_and_send_take_groups_and_an_unknown_group_is_one_short_line()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        TestPki pki = TestPki.Instance;
        string directory = Directory.CreateTempSubdirectory("openssltls-groups-").FullName;
        try
        {
            string[] serveArgs = ["serve", "--certificate", pki.ServerEcCertificate, "--private-key", pki.ServerEcKey, "--data-dir", directory, "--listen", "127.0.0.1:0"];
            (int exit, string output) = EndpointProcess.Run(s_wait, [.. serveArgs, "--groups", "P-256:NoSuchGroup"]);
            Assert.Equal(1, exit);
            string failure = Assert.Single(output.Split(Environment.NewLine), line => line.Contains("cannot start", StringComparison.Ordinal));
            Assert.Contains("groups: the loaded OpenSSL", failure, StringComparison.Ordinal);
            Assert.Contains("knows no group 'NoSuchGroup' (in 'P-256:NoSuchGroup')", failure, StringComparison.Ordinal);
            Assert.DoesNotContain(".c:", output, StringComparison.Ordinal);

            (exit, output) = EndpointProcess.Run(s_wait, [.. serveArgs, "--groups", " "]);
            Assert.Equal(2, exit);
            Assert.Contains("--groups '': expected key exchange group names separated by ':'", output, StringComparison.Ordinal);

            // The command line wins over a modparam file's groups.
            string modparams = Path.Combine(directory, "tls.params");
            File.WriteAllText(modparams, $"modparam(\"tls\", \"certificate\", \"{pki.ServerEcCertificate}\")\nmodparam(\"tls\", \"private_key\", \"{pki.ServerEcKey}\")\nmodparam(\"tls\", \"groups\", \"P-256\")\n");
            string socket = Path.Combine(directory, "ctl.sock");
            using EndpointProcess serve = EndpointProcess.Start("serve", "--modparams", modparams, "--groups", "P-384", "--data-dir", directory, "--listen", "127.0.0.1:0", "--control-socket", socket);
            string port = (await serve.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
            using (OpenSslProcess client = OpenSslProcess.StartClient(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), "-quiet", "-tls1_3", "-groups", "P-256:P-384"))
            {
                client.WriteRaw(SipRequests.Options(1));
                Assert.True(client.WaitForOutput("SIP/2.0 200 OK", s_wait), client.Output);
            }

            await serve.WaitForAsync(new Regex("resumed=no, group=secp384r1"), s_wait);

            // send offers only its --groups: P-256 is refused by this server, P-384 is what it negotiates.
            (exit, output) = EndpointProcess.Run(s_wait, "send", $"127.0.0.1:{port}", "--groups", "P-384", "--timeout", "10");
            Assert.True(exit == 0, output);
            Assert.Contains("group=secp384r1", output, StringComparison.Ordinal);
            (exit, output) = EndpointProcess.Run(s_wait, "send", $"127.0.0.1:{port}", "--groups", "P-256", "--timeout", "10");
            Assert.Equal(1, exit);
            serve.Terminate();
            Assert.Equal(0, serve.WaitForExit(s_wait));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex(@"listening for SIP over TLS on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
