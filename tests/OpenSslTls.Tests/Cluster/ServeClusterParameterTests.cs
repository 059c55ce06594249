using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.SipEndpoint;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// serve's cluster from module parameters (<c>cluster_address</c>, <c>cluster_key_file</c>, … in a <c>--modparams</c>
/// file), real <c>serve</c> processes and a real Redis: nodes configured so resume each other's tickets and session
/// ids, flags override the file, bad values are named with file:line:column, <c>ctl cfg.get</c> shows the values but
/// never the key, and <c>tls.reload</c> refuses a changed cluster parameter while the running cluster stays.
/// </summary>
public sealed partial class ServeClusterParameterTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("openssltls-clustercfg-").FullName;
    private readonly string _keyHex = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    public ServeClusterParameterTests() => File.WriteAllText(KeyFile, _keyHex + "\n");

    private string KeyFile => Path.Combine(_root, "cluster.key");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Serve_nodes_configured_by_modparams_resume_each_others_tickets_and_session_ids_and_flags_override_the_file(bool sessionId)
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        using RedisServerProcess redis = RedisServerProcess.Start();
        (string certificate, string key) = Certificate();
        const string Prefix = "edge-test:";
        // Node A: the cluster from the file alone (a relative key file resolves against the file's directory, as
        // Kamailio's file names do). Node B: a file naming a Redis that is not there, overridden by --cluster.
        string fileA = Modparams("a.modparams", certificate, key, $"redis://{redis.Configuration}", "cluster.key", Prefix);
        string fileB = Modparams("b.modparams", certificate, key, $"redis://127.0.0.1:{RedisServerProcess.FreePort()}", KeyFile, Prefix);
        string data = Path.Combine(_root, "data");
        string socketA = Path.Combine(_root, "a.sock");
        using EndpointProcess first = EndpointProcess.Start("serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--modparams", fileA, "--control-socket", socketA);
        string portA = (await first.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
        using EndpointProcess second = EndpointProcess.Start("serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--modparams", fileB, "--control-socket", Path.Combine(_root, "b.sock"),
            "--cluster", $"redis://{redis.Configuration}", "--cluster-key-file", KeyFile);
        string portB = (await second.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
        // A session-id lookup waits for Redis's reply, which must not need the epoll thread that waits: the file alone
        // (no --cluster on the command line) has to keep socket completions on the thread pool.
        Assert.Contains("socket completions on the thread pool", first.Output, StringComparison.Ordinal);

        string session = Path.Combine(_root, "session.pem");
        OpenSslCliResult issued = OpenSslCli.Run(["s_client", "-connect", $"127.0.0.1:{portA}", "-tls1_2", .. NoTicket(sessionId), "-sess_out", session], timeout: s_wait);
        Assert.Contains("New, TLSv1.2", issued.StandardOutput, StringComparison.Ordinal);
        if (sessionId)
        {
            Assert.DoesNotContain("TLS session ticket:", issued.StandardOutput, StringComparison.Ordinal);
            await redis.WaitForKeysAsync(Prefix + "session:*"); // the node stores the session without waiting for Redis
        }

        OpenSslCliResult resumed = OpenSslCli.Run(["s_client", "-connect", $"127.0.0.1:{portB}", "-tls1_2", .. NoTicket(sessionId), "-sess_in", session], timeout: s_wait);
        (_, string info) = EndpointProcess.Run(s_wait, "ctl", "tls.info", "--socket", Path.Combine(_root, "b.sock"));
        Assert.True(resumed.StandardOutput.Contains("Reused, TLSv1.2", StringComparison.Ordinal),
            $"node B did not resume node A's {(sessionId ? "session id" : "ticket")}; B's tls.info:{Environment.NewLine}{info}{Environment.NewLine}B's log:{Environment.NewLine}{second.Output}");

        // cfg.get shows what runs, the key file by name only.
        (int exit, string variables) = EndpointProcess.Run(s_wait, "ctl", "cfg.get", "tls", "--socket", socketA);
        Assert.Equal(0, exit);
        Assert.Contains($"cluster_address: redis://{redis.Configuration}\n", variables, StringComparison.Ordinal);
        Assert.Contains("cluster_key_file: cluster.key\n", variables, StringComparison.Ordinal);
        Assert.Contains("cluster_lookup_timeout: 2000\n", variables, StringComparison.Ordinal);
        Assert.Contains($"cluster_key_prefix: {Prefix}\n", variables, StringComparison.Ordinal);
        (_, string options) = EndpointProcess.Run(s_wait, "ctl", "tls.options", "--socket", socketA);
        foreach (string output in new[] { variables, options, info, first.Output, second.Output })
        {
            Assert.DoesNotContain(_keyHex, output, StringComparison.OrdinalIgnoreCase);
        }

        first.Terminate();
        second.Terminate();
        Assert.Equal(0, first.WaitForExit(s_wait));
        Assert.Equal(0, second.WaitForExit(s_wait));
    }

    [Fact]
    public void Bad_cluster_values_in_a_modparams_file_stop_serve_naming_file_line_and_column()
    {
        (string certificate, string key) = Certificate();
        string data = Path.Combine(_root, "data");

        string file = Modparams("bad-address.modparams", certificate, key, "redis://user@127.0.0.1:6379", KeyFile, "openssltls:");
        (int exit, string output) = Serve(file);
        Assert.Equal(1, exit);
        Assert.Contains($"{file}:3:36: cluster_address must be redis://HOST:PORT, not 'redis://user@127.0.0.1:6379'", output, StringComparison.Ordinal);

        file = Path.Combine(_root, "unknown.modparams");
        File.WriteAllText(file, $"modparam(\"tls\", \"certificate\", \"{certificate}\")\nmodparam(\"tls\", \"private_key\", \"{key}\")\nmodparam(\"tls\", \"cluster_adress\", \"redis://127.0.0.1:6379\")\n");
        (exit, output) = Serve(file);
        Assert.Equal(1, exit);
        Assert.Contains($"{file}:3:17: unknown parameter 'cluster_adress' of module tls", output, StringComparison.Ordinal);

        file = Path.Combine(_root, "window.modparams");
        File.WriteAllText(file, $"modparam(\"tls\", \"certificate\", \"{certificate}\")\nmodparam(\"tls\", \"private_key\", \"{key}\")\n  modparam(\"tls\", \"cluster_window\", 1)\n");
        (exit, output) = Serve(file);
        Assert.Equal(1, exit);
        Assert.Contains($"{file}:3:37: cluster_window must be 2..16, not 1", output, StringComparison.Ordinal);

        // A key file that is no key is named, its contents never shown.
        string shortKey = Path.Combine(_root, "short.key");
        File.WriteAllText(shortKey, "00ff00ff");
        file = Modparams("short.modparams", certificate, key, $"redis://127.0.0.1:{RedisServerProcess.FreePort()}", shortKey, "openssltls:");
        (exit, output) = Serve(file);
        Assert.Equal(1, exit);
        Assert.Contains(shortKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain("00ff00ff", output, StringComparison.Ordinal);

        // A flag that tunes a cluster needs one, from the command line or the file.
        File.WriteAllText(file, $"modparam(\"tls\", \"certificate\", \"{certificate}\")\nmodparam(\"tls\", \"private_key\", \"{key}\")\n");
        (exit, output) = Serve(file, "--cluster-lookup-timeout", "2000");
        Assert.Equal(1, exit);
        Assert.Contains("--cluster-rotation and --cluster-lookup-timeout need --cluster, or cluster_address in the configuration files", output, StringComparison.Ordinal);

        (int, string) Serve(string modparams, params string[] more) =>
            EndpointProcess.Run(s_wait, ["serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--modparams", modparams, .. more]);
    }

    [SkippableFact]
    public async Task Tls_reload_refuses_a_changed_cluster_parameter_or_key_until_a_restart_and_the_running_cluster_stays()
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        using RedisServerProcess redis = RedisServerProcess.Start();
        (string certificate, string key) = Certificate();
        string tlsCfg = Path.Combine(_root, "tls.cfg");
        File.WriteAllText(tlsCfg, $"[server:default]\ncertificate = {certificate}\nprivate_key = {key}\n\n[client:default]\nverify_certificate = no\n");
        string modparams = Path.Combine(_root, "cluster.modparams");
        string cluster = $"modparam(\"tls\", \"cluster_address\", \"redis://{redis.Configuration}\")\nmodparam(\"tls\", \"cluster_key_file\", \"{KeyFile}\")\n";
        File.WriteAllText(modparams, cluster);
        string socket = Path.Combine(_root, "c.sock");
        using EndpointProcess serve = EndpointProcess.Start("serve", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_root, "data"), "--modparams", modparams, "--tls-cfg", tlsCfg, "--control-socket", socket);
        string port = (await serve.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
        await redis.WaitForKeysAsync("openssltls:*"); // the node has joined the cluster (its ticket key is in Redis)
        Assert.Equal((0, "Ok. TLS configuration reloaded (generation 2).\n"), Ctl("tls.reload"));

        // A changed parameter: refused whole, naming it and what applies it.
        File.WriteAllText(modparams, cluster + "modparam(\"tls\", \"cluster_rotation\", 60)\n");
        (int exit, string reply) = Ctl("tls.reload");
        Assert.NotEqual(0, exit);
        Assert.Contains("cluster_rotation: changed from '43200' to '60'", reply, StringComparison.Ordinal);
        Assert.Contains("restart serve to apply it", reply, StringComparison.Ordinal);
        Assert.Contains("cluster_rotation: 43200\n", Ctl("cfg.get", "tls").Reply, StringComparison.Ordinal);

        // A new key in the same file: refused, the key never shown.
        File.WriteAllText(modparams, cluster);
        string otherKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(KeyFile, otherKey);
        (exit, reply) = Ctl("tls.reload");
        Assert.NotEqual(0, exit);
        Assert.Contains($"cluster_key_file: the key in {KeyFile} is not the one read at start", reply, StringComparison.Ordinal);
        Assert.DoesNotContain(otherKey, reply, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(_keyHex, reply, StringComparison.OrdinalIgnoreCase);

        // cfg.set cannot change one either.
        (exit, reply) = Ctl("cfg.set", "tls", "cluster_window", "5");
        Assert.NotEqual(0, exit);
        Assert.Contains("tls.cluster_window is read-only", reply, StringComparison.Ordinal);
        Assert.Contains("restart to apply a change", reply, StringComparison.Ordinal);

        // The old configuration still runs: the same key back, the reload goes through and a ticket still resumes.
        File.WriteAllText(KeyFile, _keyHex + "\n");
        Assert.Equal((0, "Ok. TLS configuration reloaded (generation 3).\n"), Ctl("tls.reload"));
        string session = Path.Combine(_root, "session.pem");
        OpenSslCli.Run(["s_client", "-connect", $"127.0.0.1:{port}", "-tls1_2", "-sess_out", session], timeout: s_wait);
        OpenSslCliResult resumed = OpenSslCli.Run(["s_client", "-connect", $"127.0.0.1:{port}", "-tls1_2", "-sess_in", session], timeout: s_wait);
        Assert.Contains("Reused, TLSv1.2", resumed.StandardOutput, StringComparison.Ordinal);
        string info = Ctl("tls.info").Reply;
        Assert.Matches(new Regex(@"cluster_key_generation: [1-9]"), info);
        Assert.DoesNotContain(otherKey, serve.Output, StringComparison.OrdinalIgnoreCase);

        serve.Terminate();
        Assert.Equal(0, serve.WaitForExit(s_wait));

        (int ExitCode, string Reply) Ctl(params string[] command) => EndpointProcess.Run(s_wait, ["ctl", .. command, "--socket", socket]);
    }

    private static string[] NoTicket(bool sessionId) => sessionId ? ["-no_ticket"] : [];

    private (string Certificate, string Key) Certificate()
    {
        string certificate = Path.Combine(_root, "node.pem");
        string key = Path.Combine(_root, "node.key");
        if (!File.Exists(certificate))
        {
            OpenSslCli.RunChecked(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-days", "2", "-keyout", key, "-out", certificate]);
        }

        return (certificate, key);
    }

    /// <summary>A modparam file: the certificate, then the cluster (address on line 3), lookups given 2 s (a loaded machine).</summary>
    private string Modparams(string name, string certificate, string key, string address, string keyFile, string prefix)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllText(path, $"""
            modparam("tls", "certificate", "{certificate}")
            modparam("tls", "private_key", "{key}")
            modparam("tls", "cluster_address", "{address}")
            modparam("tls", "cluster_key_file", "{keyFile}")
            modparam("tls", "cluster_lookup_timeout", 2000)
            modparam("tls", "cluster_key_prefix", "{prefix}")

            """);
        return path;
    }

    [GeneratedRegex(@"listening for SIP over TLS on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
