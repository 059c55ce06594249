using System.Text.RegularExpressions;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Packaging;

/// <summary>
/// The repository's packages, packed once per test run from the build these tests run on (<c>dotnet pack --no-build</c>,
/// as <c>./build.sh pack</c> does with a build) into a temporary folder that serves as the NuGet feed, next to a
/// nuget.config whose sources are that folder (for OpenSslTls*), the machine's package cache and nuget.org (for the
/// dependencies), and an empty NuGet cache of its own (so a stale 0.9.0 from an earlier run is never what restores).
/// </summary>
public sealed partial class PackedFeed : IDisposable
{
    private readonly Lazy<string?> _packed;

    public PackedFeed()
    {
        Root = Path.Combine(Path.GetTempPath(), "openssltls-pack-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Path.Combine(Root, "feed");
        Cli = new DotnetCli(Path.Combine(Root, "nuget-packages"));
        _packed = new Lazy<string?>(Pack, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Root { get; }

    public string Feed { get; }

    public string NuGetConfig => Path.Combine(Root, "nuget.config");

    internal DotnetCli Cli { get; }

    /// <summary>The packages' version (read from the packed file names).</summary>
    public string Version { get; private set; } = string.Empty;

    /// <summary>Why the tests cannot run: no <c>dotnet</c> outside CI. In CI a missing <c>dotnet</c> fails instead.</summary>
    public static string? SkipReason =>
        DotnetCli.Host is null && Environment.GetEnvironmentVariable("CI") != "true" ? "no dotnet host on this machine" : null;

    /// <summary>Packs (once); throws with the output when packing fails.</summary>
    public void EnsurePacked()
    {
        if (_packed.Value is { } failure)
        {
            throw new InvalidOperationException(failure);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Writes an app named <paramref name="name"/> (an exe project referencing <paramref name="packages"/> from this feed
    /// or the cache, with <paramref name="program"/> as its Program.cs), builds it as a user would, and returns its
    /// output folder; the build's failure fails the test with its output.
    /// </summary>
    public string BuildApp(string name, string program, params (string Id, string Version)[] packages)
    {
        string app = Path.Combine(Root, name);
        Directory.CreateDirectory(app);
        string references = string.Join(Environment.NewLine, packages.Select(package => $"""    <PackageReference Include="{package.Id}" Version="{package.Version}" />"""));
        File.WriteAllText(Path.Combine(app, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);
        (int built, string buildOutput) = Cli.Run(DotnetCli.Host!, ["build", "-c", "Release", "-nologo", "-v", "quiet", "--configfile", NuGetConfig], app, TimeSpan.FromMinutes(4));
        Assert.True(built == 0, $"dotnet build of {name} failed ({built}):\n{buildOutput}");
        return Path.Combine(app, "bin", "Release", "net10.0");
    }

    private string? Pack()
    {
        string host = DotnetCli.Host ?? throw new InvalidOperationException("no dotnet host: the package tests need the .NET SDK");
        Directory.CreateDirectory(Feed);
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        foreach (string project in new[] { "src/OpenSslTls/OpenSslTls.csproj", "src/OpenSslTls.Cluster.Redis/OpenSslTls.Cluster.Redis.csproj", "src/OpenSslTls.Extensions.Hosting/OpenSslTls.Extensions.Hosting.csproj", "src/OpenSslTls.AspNetCore/OpenSslTls.AspNetCore.csproj", "src/OpenSslTls.Server/OpenSslTls.Server.csproj" })
        {
            (int exit, string output) = Cli.Run(host, ["pack", project, "-c", configuration, "--no-build", "-nologo", "-v", "quiet", "-o", Feed], RepositoryPaths.Root, TimeSpan.FromMinutes(4));
            if (exit != 0)
            {
                return $"dotnet pack {project} failed ({exit}):\n{output}";
            }
        }

        string? cli = Directory.GetFiles(Feed, "OpenSslTls.Cli.*.nupkg").Select(Path.GetFileName).FirstOrDefault(name => !name!.EndsWith(".snupkg", StringComparison.Ordinal));
        Match version = cli is null ? Match.Empty : CliPackageName().Match(cli);
        if (!version.Success)
        {
            return $"no OpenSslTls.Cli package in {Feed}: {string.Join(", ", Directory.GetFiles(Feed).Select(Path.GetFileName))}";
        }

        Version = version.Groups[1].Value;
        File.WriteAllText(NuGetConfig, NuGetConfigText(Feed));
        return null;
    }

    private static string NuGetConfigText(string feed)
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string cacheSource = Directory.Exists(cache) ? $"""    <add key="machine-cache" value="{cache}" />""" : string.Empty;
        string cacheMapping = Directory.Exists(cache) ? """    <packageSource key="machine-cache"><package pattern="*" /></packageSource>""" : string.Empty;
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{feed}" />
            {cacheSource}
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="packed"><package pattern="OpenSslTls" /><package pattern="OpenSslTls.*" /></packageSource>
            {cacheMapping}
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """;
    }

    [GeneratedRegex(@"^OpenSslTls\.Cli\.(.+)\.nupkg$")]
    private static partial Regex CliPackageName();
}
