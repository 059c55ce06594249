using System.Text.RegularExpressions;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>The real <c>openssltls serve</c> and <c>send</c> processes: first start, file modes, signals, exit codes.</summary>
public sealed partial class ServeProcessTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);
    private readonly string _root = Directory.CreateTempSubdirectory("openssltls-serve-").FullName;

    [SkippableFact]
    public async Task Serve_makes_a_self_signed_certificate_answers_send_and_stops_on_SIGTERM()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix signals and modes");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        if (OperatingSystem.IsWindows())
        {
            return; // Unreachable after the skip; tells the platform analyzer the Unix calls below are guarded.
        }

        string data = Path.Combine(_root, "data");
        string certificate = Path.Combine(data, "localhost.pem");
        using (EndpointProcess serve = EndpointProcess.Start("serve", "--listen", "127.0.0.1:0", "--data-dir", data, "--send-close-notify"))
        {
            Match listening = await serve.WaitForAsync(ListeningLine(), s_wait);
            string port = listening.Groups[1].Value;
            Assert.Contains($"data directory: {data}", serve.Output, StringComparison.Ordinal);
            Assert.Contains($"created a self-signed certificate for localhost (valid 825 days): certificate {certificate}", serve.Output, StringComparison.Ordinal);
            Assert.Contains("socket completions inline on the runtime's epoll threads", serve.Output, StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(certificate));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "localhost.key")));

            // The generated certificate is its own trust anchor, with the SANs a client connecting to localhost checks.
            OpenSslCliResult text = OpenSslCli.RunChecked(["x509", "-in", certificate, "-noout", "-text"]);
            Assert.Contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1", text.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("ASN1 OID: prime256v1", text.StandardOutput, StringComparison.Ordinal);

            (int exit, string output) = EndpointProcess.Run(s_wait, "send", $"127.0.0.1:{port}", "--count", "2", "--verify", "--ca-list", certificate);
            Assert.True(exit == 0, output);
            Assert.Contains("peer=/CN=localhost, verified=yes", output, StringComparison.Ordinal);
            Assert.Contains("2 of 2 OPTIONS answered with 2xx", output, StringComparison.Ordinal);
            await serve.WaitForAsync(new Regex(@"connection 1 from 127\.0\.0\.1:\d+: TLSv1\.3 "), s_wait);

            serve.Terminate();
            Assert.Equal(0, serve.WaitForExit(s_wait));
            Assert.Contains("stopped", serve.Output, StringComparison.Ordinal);
        }

        // A second start finds the certificate and says so instead of making another; the operator's 0 keeps socket
        // continuations on the thread pool, and it serves as well.
        var threadPool = new Dictionary<string, string> { [SocketCompletions.InlineVariable] = "0" };
        using (EndpointProcess again = EndpointProcess.Start(threadPool, "serve", "--listen", "127.0.0.1:0", "--data-dir", data))
        {
            string port = (await again.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
            Assert.Contains($"using certificate {certificate}", again.Output, StringComparison.Ordinal);
            Assert.Contains("socket completions on the thread pool", again.Output, StringComparison.Ordinal);
            (int exit, string output) = EndpointProcess.Run(s_wait, "send", $"127.0.0.1:{port}", "--count", "1", "--verify", "--ca-list", certificate);
            Assert.True(exit == 0, output);
            again.Terminate();
            Assert.Equal(0, again.WaitForExit(s_wait));
        }
    }

    [SkippableFact]
    public void A_broken_configuration_exits_with_code_1_and_an_unknown_command_with_2()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        string directory = Directory.CreateTempSubdirectory("openssltls-broken-").FullName;
        try
        {
            string config = Path.Combine(directory, "tls.cfg");
            File.WriteAllText(config, "[server:default]\nmethod = TLSv9\n");
            (int exit, string output) = EndpointProcess.Run(s_wait, "serve", "--tls-cfg", config, "--data-dir", directory, "--listen", "127.0.0.1:0");
            Assert.Equal(1, exit);
            Assert.Contains("tls.cfg:2:", output, StringComparison.Ordinal);
            (exit, output) = EndpointProcess.Run(s_wait, "frobnicate");
            Assert.Equal(2, exit);
            Assert.Contains("unknown command 'frobnicate'", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [SkippableFact]
    public async Task A_port_in_use_fails_with_exit_code_1()
    {
        Skip.If(OperatingSystem.IsWindows(), "runs the Unix build of the program");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        string data = Path.Combine(_root, "busy");
        using EndpointProcess first = EndpointProcess.Start("serve", "--listen", "127.0.0.1:0", "--data-dir", data);
        string port = (await first.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
        (int exit, string output) = EndpointProcess.Run(s_wait, "serve", "--listen", $"127.0.0.1:{port}", "--data-dir", data);
        Assert.Equal(1, exit);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a killed child may still hold a file.
        }
    }

    [GeneratedRegex(@"listening for SIP over TLS on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
