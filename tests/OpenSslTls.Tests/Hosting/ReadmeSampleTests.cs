using System.Net;
using OpenSslTls.Module;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Hosting;

/// <summary>The README's <c>AddOpenSslTls</c> sample compiles and runs (as <see cref="ReadmeSample"/>), and the README shows exactly that code.</summary>
public sealed class ReadmeSampleTests : NativeLeakCheck
{
    private static string[] SampleLines()
    {
        string[] source = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "tests", "OpenSslTls.Tests", "Hosting", "ReadmeSample.cs"));
        int begin = Array.FindIndex(source, line => line.Trim() == "// README sample: begin");
        int end = Array.FindIndex(source, line => line.Trim() == "// README sample: end");
        Assert.True(begin >= 0 && end > begin, "ReadmeSample.cs lost its markers");
        return [.. source[(begin + 1)..end].Select(line => line.Trim())];
    }

    [Fact]
    public void The_readme_shows_the_sample_verbatim()
    {
        string[] readme = [.. File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "README.md")).Select(line => line.Trim())];
        string[] sample = SampleLines();
        int start = Array.IndexOf(readme, sample[0]);
        Assert.True(start >= 0, $"the README has no line '{sample[0]}'");
        Assert.Equal(sample, readme[start..(start + sample.Length)]);
    }

    [Fact]
    public async Task The_sample_starts_a_host_with_a_module_from_configuration()
    {
        string[] args =
        [
            "--Tls:tls_method=TLSv1.2+",
            "--Tls:Profiles:0:Profile=server:default",
            $"--Tls:Profiles:0:certificate={TestPki.Instance.ServerEcCertificate}",
            $"--Tls:Profiles:0:private_key={TestPki.Instance.ServerEcKey}",
        ];

        TlsModuleInfo info = await ReadmeSample.RunAsync(args, new IPEndPoint(IPAddress.Loopback, 5061), new IPEndPoint(IPAddress.Loopback, 40010), _ => { });

        Assert.Equal(1, info.OpenedConnections);
        Assert.Equal(1, info.Generation);
    }
}
