namespace OpenSslTls.Tests.Packaging;

/// <summary>
/// The OpenSslTls.Extensions.Hosting package works as installed (issue 19.4): an app restored from it (and, through
/// its dependency, from OpenSslTls of the same version) starts a host with <c>AddOpenSslTls</c> bound from
/// configuration by both kinds of names.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageHostingTests(PackedFeed feed)
{
    [SkippableFact]
    public void An_app_restored_from_the_hosting_package_starts_a_host_with_the_module()
    {
        Skip.If(PackedFeed.SkipReason is not null, PackedFeed.SkipReason);
        feed.EnsurePacked();
        string output = feed.BuildApp("HostedUser", ProgramText, ("OpenSslTls.Extensions.Hosting", feed.Version), ("Microsoft.Extensions.Hosting", "10.0.0"));
        string host = DotnetCli.Host!;
        Assert.True(File.Exists(Path.Combine(output, "OpenSslTls.dll")), "the OpenSslTls dependency was not restored with the hosting package");

        (int ran, string runOutput) = feed.Cli.Run(host, [Path.Combine(output, "HostedUser.dll"), feed.Root], Path.Combine(feed.Root, "HostedUser"), TimeSpan.FromSeconds(60));
        Assert.True(ran == 0, $"the hosting package user exited {ran}:\n{runOutput}");
        Assert.Contains("module: generation 1, verify_depth 4, tls_method TLSv1.3", runOutput, StringComparison.Ordinal);
    }

    private const string ProgramText = """
        using Microsoft.Extensions.Configuration;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;
        using OpenSslTls.Certificates;
        using OpenSslTls.Module;

        string certificate = Path.Combine(args[0], "hosted-localhost.pem");
        string key = Path.Combine(args[0], "hosted-localhost.key");
        SelfSignedCertificateBuilder.ForLocalhost().Create().WriteFiles(certificate, key);

        HostApplicationBuilder builder = Host.CreateApplicationBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tls:tls_method"] = "TLSv1.3",
            ["Tls:VerifyDepth"] = "4",
            ["Tls:Profiles:0:Profile"] = "server:default",
            ["Tls:Profiles:0:certificate"] = certificate,
            ["Tls:Profiles:0:private_key"] = key,
        });
        builder.Services.AddOpenSslTls(builder.Configuration.GetSection("Tls"));
        using IHost host = builder.Build();
        await host.StartAsync();
        TlsModule tls = host.Services.GetRequiredService<TlsModule>();
        IReadOnlyDictionary<string, string?> options = tls.Options();
        Console.WriteLine($"module: generation {tls.Info().Generation}, verify_depth {options["verify_depth"]}, tls_method {options["tls_method"]}");
        await host.StopAsync();
        """;
}
