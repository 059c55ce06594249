using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace OpenSslTls.Tests.Packaging;

/// <summary>
/// The packages work as installed (issue 16): the OpenSslTls.Cli tool installed into a tool path serves and answers,
/// and an app restored from the OpenSslTls package finds the C I/O shim where the SDK put it
/// (<c>bin/.../runtimes/linux-x64/native/</c>); both with <c>OPENSSLTLS_IO_SHIM=required</c>, so a missing shim fails.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed partial class PackageInstallTests(PackedFeed feed)
{
    private static readonly Dictionary<string, string> ShimRequired = new() { ["OPENSSLTLS_IO_SHIM"] = "required" };

    [SkippableFact]
    public async Task The_installed_tool_serves_on_the_shim_and_send_gets_200()
    {
        Skip.If(PackedFeed.SkipReason is not null, PackedFeed.SkipReason);
        feed.EnsurePacked();
        string host = DotnetCli.Host!;
        string tools = Path.Combine(feed.Root, "tools");
        (int installed, string installOutput) = feed.Cli.Run(
            host,
            // The config's "packed" source is the feed folder (--add-source cannot be combined with its source mapping).
            ["tool", "install", "--tool-path", tools, "--configfile", feed.NuGetConfig, "OpenSslTls.Cli", "--version", feed.Version],
            feed.Root,
            TimeSpan.FromMinutes(3));
        Assert.True(installed == 0, $"dotnet tool install failed ({installed}):\n{installOutput}");
        string command = Path.Combine(tools, "openssltls");
        Assert.True(File.Exists(command), $"no {command} after the install:\n{installOutput}");

        string data = Path.Combine(feed.Root, "data");
        using Process serve = feed.Cli.Start(command, ["serve", "--listen", "127.0.0.1:0", "--data-dir", data], feed.Root, ShimRequired, out StringBuilder serveOutput);
        try
        {
            Match listening = await WaitForAsync(serve, serveOutput, ListeningLine(), TimeSpan.FromSeconds(60));
            string started = DotnetCli.Snapshot(serveOutput);
            // The start-up line names the shim file: the one inside the tool's own install (.store), not the build's.
            Match io = ShimLine().Match(started);
            Assert.True(io.Success, $"serve did not log the C shim in use:\n{started}");
            Assert.StartsWith(Path.Combine(tools, ".store"), io.Groups[1].Value, StringComparison.Ordinal);

            (int sent, string sendOutput) = feed.Cli.Run(command, ["send", $"127.0.0.1:{listening.Groups[1].Value}", "--timeout", "20"], feed.Root, TimeSpan.FromSeconds(60), ShimRequired);
            Assert.True(sent == 0, $"send exited {sent}:\n{sendOutput}\nserve:\n{DotnetCli.Snapshot(serveOutput)}");
            Assert.Contains("SIP/2.0 200 OK", sendOutput, StringComparison.Ordinal);
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill(entireProcessTree: true);
            }

            await serve.WaitForExitAsync();
        }
    }

    [SkippableFact]
    public void An_app_restored_from_the_package_handshakes_on_the_shim_from_its_runtimes_folder()
    {
        Skip.If(PackedFeed.SkipReason is not null, PackedFeed.SkipReason);
        feed.EnsurePacked();
        string output = feed.BuildApp("PackageUser", ProgramText, ("OpenSslTls", feed.Version));
        string host = DotnetCli.Host!;
        string packagedShim = Path.Combine(output, "runtimes", "linux-x64", "native", "libopenssltls_io.so");
        Assert.True(File.Exists(packagedShim), $"the SDK did not copy the package's shim to {packagedShim}");

        (int ran, string runOutput) = feed.Cli.Run(host, [Path.Combine(output, "PackageUser.dll"), feed.Root], Path.Combine(feed.Root, "PackageUser"), TimeSpan.FromSeconds(60), ShimRequired);
        Assert.True(ran == 0, $"the package user exited {ran}:\n{runOutput}");
        Assert.Contains($"shim: {packagedShim}", runOutput, StringComparison.Ordinal);
        Assert.Contains("handshake: Established Established", runOutput, StringComparison.Ordinal);
        Assert.Contains("received: ping", runOutput, StringComparison.Ordinal);
    }

    private const string ProgramText = """
        using System.Buffers;
        using System.Text;
        using OpenSslTls.Certificates;
        using OpenSslTls.Connections;
        using OpenSslTls.OpenSsl;
        using OpenSslTls.Profiles;

        TlsLibraryInfo info = TlsLibraryInfo.Describe();
        Console.WriteLine($"shim: {info.IoShimPath ?? "none (" + info.IoShimStatus + ")"}");
        Console.WriteLine($"openssl: {info.OpenSslVersionText}");

        string certificate = Path.Combine(args[0], "app-localhost.pem");
        string key = Path.Combine(args[0], "app-localhost.key");
        SelfSignedCertificateBuilder.ForLocalhost().Create().WriteFiles(certificate, key);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = certificate, PrivateKey = key });
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings());
        using TlsConnection server = serverProfile.CreateConnection();
        using TlsConnection client = clientProfile.CreateConnection("localhost");

        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        var serverReceived = new ArrayBufferWriter<byte>();
        var clientReceived = new ArrayBufferWriter<byte>();
        void Pump()
        {
            for (int round = 0; round < 50 && (toServer.WrittenCount > 0 || toClient.WrittenCount > 0); round++)
            {
                if (toServer.WrittenCount > 0)
                {
                    byte[] data = toServer.WrittenSpan.ToArray();
                    toServer.ResetWrittenCount();
                    server.Receive(data, serverReceived, toClient);
                }

                if (toClient.WrittenCount > 0)
                {
                    byte[] data = toClient.WrittenSpan.ToArray();
                    toClient.ResetWrittenCount();
                    client.Receive(data, clientReceived, toServer);
                }
            }
        }

        client.Start(toServer);
        Pump();
        Console.WriteLine($"handshake: {client.State} {server.State}");
        client.Send("ping"u8, toServer);
        Pump();
        Console.WriteLine($"received: {Encoding.ASCII.GetString(serverReceived.WrittenSpan)}");
        return info.IoShimInUse && client.State == TlsConnectionState.Established && server.State == TlsConnectionState.Established ? 0 : 1;
        """;

    private static async Task<Match> WaitForAsync(Process process, StringBuilder output, Regex pattern, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Match match = pattern.Match(DotnetCli.Snapshot(output));
            if (match.Success)
            {
                return match;
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"serve {(process.HasExited ? $"exited ({process.ExitCode})" : "timed out")} before {pattern}:\n{DotnetCli.Snapshot(output)}");
            }

            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"listening for SIP over TLS on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"connection I/O: C shim (\S+)")]
    private static partial Regex ShimLine();
}
