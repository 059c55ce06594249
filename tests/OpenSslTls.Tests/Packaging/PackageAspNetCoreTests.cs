using OpenSslTls.Tests.AspNetCore;

namespace OpenSslTls.Tests.Packaging;

/// <summary>
/// The OpenSslTls.AspNetCore package works as installed (issue 20): a fresh web app restored from the packed feed
/// (OpenSslTls coming with it as its dependency, ASP.NET Core through the package's framework reference) serves
/// HTTPS with <c>UseOpenSslTls</c>, and curl gets its page over HTTP/2.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageAspNetCoreTests(PackedFeed feed)
{
    [SkippableFact]
    public void An_app_restored_from_the_AspNetCore_package_serves_HTTP2_over_OpenSslTls()
    {
        Skip.If(PackedFeed.SkipReason is not null, PackedFeed.SkipReason);
        Curl.Require();
        feed.EnsurePacked();
        string output = feed.BuildApp("KestrelUser", ProgramText, ("OpenSslTls.AspNetCore", feed.Version));
        Assert.True(File.Exists(Path.Combine(output, "OpenSslTls.dll")), "the OpenSslTls dependency was not restored with the AspNetCore package");

        (int ran, string runOutput) = feed.Cli.Run(DotnetCli.Host!, [Path.Combine(output, "KestrelUser.dll"), feed.Root], Path.Combine(feed.Root, "KestrelUser"), TimeSpan.FromSeconds(90));
        Assert.True(ran == 0, $"the AspNetCore package user exited {ran}:\n{runOutput}");
        Assert.True(runOutput.Contains("curl: 0 HTTP/2 served by TLSv1.3 h2", StringComparison.Ordinal), runOutput);
    }

    private const string ProgramText = """
        using System.Diagnostics;
        using Microsoft.AspNetCore.Builder;
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Hosting.Server;
        using Microsoft.AspNetCore.Hosting.Server.Features;
        using Microsoft.AspNetCore.Http;
        using Microsoft.AspNetCore.Http.Features;
        using Microsoft.Extensions.DependencyInjection;
        using OpenSslTls.AspNetCore;
        using OpenSslTls.Certificates;
        using OpenSslTls.Configuration;

        string certificate = Path.Combine(args[0], "kestrel-localhost.pem");
        string key = Path.Combine(args[0], "kestrel-localhost.key");
        SelfSignedCertificateBuilder.ForLocalhost().Create().WriteFiles(certificate, key);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen =>
            listen.UseOpenSslTls(new TlsModuleOptions { Certificate = certificate, PrivateKey = key })));
        WebApplication app = builder.Build();
        app.MapGet("/", (HttpContext http) =>
        {
            IOpenSslTlsFeature tls = http.Features.GetRequiredFeature<IOpenSslTlsFeature>();
            return $"{http.Request.Protocol} served by {tls.Info.Protocol} {tls.Info.ApplicationProtocol}";
        });
        await app.StartAsync();
        // Kestrel lists the endpoint as http:// (only its own UseHttps marks an endpoint TLS): take the port alone.
        int port = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()).Port;
        var curl = new ProcessStartInfo("curl", ["-sS", "-k", "--http2", "--max-time", "20", $"https://127.0.0.1:{port}/"]) { RedirectStandardOutput = true };
        using Process process = Process.Start(curl)!;
        string body = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Console.WriteLine($"curl: {process.ExitCode} {body}");
        await app.StopAsync();
        """;
}
