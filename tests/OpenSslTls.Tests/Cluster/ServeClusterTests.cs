using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.SipEndpoint;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// Two real <c>openssltls serve</c> nodes (same certificate and configuration, separate processes) and a real Redis:
/// a TLS 1.2 ticket that <c>openssl s_client</c> got from one node resumes on the other only with <c>--cluster</c>.
/// </summary>
public sealed partial class ServeClusterTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("openssltls-cluster-").FullName;

    [SkippableTheory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task A_ticket_or_session_id_from_one_serve_node_resumes_on_another_only_in_a_cluster(bool cluster, bool sessionId)
    {
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        using RedisServerProcess redis = RedisServerProcess.Start();
        string keyFile = Path.Combine(_root, "cluster.key");
        File.WriteAllText(keyFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        string data = Path.Combine(_root, "data");
        // One certificate for both nodes, as a cluster has; with --cluster the session cache is turned on by serve itself.
        string modparams = Modparams(sessionCache: !cluster);
        string[] common = ["serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--modparams", modparams, .. cluster ? new[] { "--cluster", $"redis://{redis.Configuration}", "--cluster-key-file", keyFile, "--cluster-lookup-timeout", "2000" /* generous: the machine running the tests is loaded */ } : []];

        using EndpointProcess first = EndpointProcess.Start([.. common, "--control-socket", Path.Combine(_root, "a.sock")]);
        string portA = (await first.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
        using EndpointProcess second = EndpointProcess.Start([.. common, "--control-socket", Path.Combine(_root, "b.sock")]);
        string portB = (await second.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;

        string session = Path.Combine(_root, "session.pem");
        OpenSslCliResult issued = OpenSslCli.Run(["s_client", "-connect", $"127.0.0.1:{portA}", "-tls1_2", .. NoTicket(sessionId), "-sess_out", session], timeout: s_wait);
        Assert.Contains("New, TLSv1.2", issued.StandardOutput, StringComparison.Ordinal);
        if (sessionId)
        {
            // -no_ticket: the server issued a session id and no ticket, so only a shared session cache resumes it.
            Assert.DoesNotContain("TLS session ticket:", issued.StandardOutput, StringComparison.Ordinal);
            if (cluster)
            {
                await redis.WaitForKeysAsync("openssltls:session:*"); // the node stores the session without waiting for Redis
            }
        }

        OpenSslCliResult resumed = OpenSslCli.Run(["s_client", "-connect", $"127.0.0.1:{portB}", "-tls1_2", .. NoTicket(sessionId), "-sess_in", session], timeout: s_wait);

        Assert.Contains(cluster ? "Reused, TLSv1.2" : "New, TLSv1.2", resumed.StandardOutput, StringComparison.Ordinal);
        first.Terminate();
        second.Terminate();
        Assert.Equal(0, first.WaitForExit(s_wait));
        Assert.Equal(0, second.WaitForExit(s_wait));
    }

    [Fact]
    public void Cluster_options_go_together_and_a_bad_address_or_key_file_is_named()
    {
        (int exit, string output) = EndpointProcess.Run(s_wait, "serve", "--cluster", "redis://127.0.0.1:6379");
        Assert.Equal(2, exit);
        Assert.Contains("--cluster and --cluster-key-file go together", output, StringComparison.Ordinal);

        (exit, output) = EndpointProcess.Run(s_wait, "serve", "--cluster", "redis://user@host", "--cluster-key-file", "k");
        Assert.Equal(2, exit);
        Assert.Contains("--cluster 'redis://user@host': expected redis://HOST:PORT", output, StringComparison.Ordinal);

        (exit, output) = EndpointProcess.Run(s_wait, "serve", "--cluster", "redis://127.0.0.1:6379", "--cluster-key-file", "k", "--cluster-rotation", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--cluster-rotation '0': expected a whole number from 1 to 2592000", output, StringComparison.Ordinal);

        (exit, output) = EndpointProcess.Run(s_wait, "serve", "--cluster-lookup-timeout", "50");
        Assert.Equal(2, exit);
        Assert.Contains("--cluster-rotation and --cluster-lookup-timeout need --cluster", output, StringComparison.Ordinal);

        string keyFile = Path.Combine(_root, "short.key");
        File.WriteAllText(keyFile, "00ff");
        (exit, output) = EndpointProcess.Run(s_wait, "serve", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_root, "d"), "--cluster", "redis://127.0.0.1:1", "--cluster-key-file", keyFile);
        Assert.Equal(1, exit);
        Assert.Contains(keyFile, output, StringComparison.Ordinal);
        Assert.DoesNotContain("00ff", output, StringComparison.Ordinal);
    }

    private static string[] NoTicket(bool sessionId) => sessionId ? ["-no_ticket"] : [];

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Modparams(bool sessionCache)
    {
        string certificate = Path.Combine(_root, "node.pem");
        string key = Path.Combine(_root, "node.key");
        OpenSslCli.RunChecked(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-days", "2", "-keyout", key, "-out", certificate]);
        string path = Path.Combine(_root, "tls.modparams");
        File.WriteAllText(path, $"modparam(\"tls\", \"certificate\", \"{certificate}\")\nmodparam(\"tls\", \"private_key\", \"{key}\")\n" + (sessionCache ? "modparam(\"tls\", \"session_cache\", 1)\n" : ""));
        return path;
    }

    [GeneratedRegex(@"listening for SIP over TLS on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
