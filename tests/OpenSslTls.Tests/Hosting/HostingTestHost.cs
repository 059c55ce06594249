using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Extensions.Hosting;
using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.Hosting;

/// <summary>
/// A host with <c>AddOpenSslTls</c> over an in-memory configuration the test changes at will (<see cref="Change"/>
/// sets keys and reloads, as a changed appsettings.json would), logging into a <see cref="FakeLogCollector"/>.
/// </summary>
internal sealed class HostingTestHost : IDisposable
{
    private HostingTestHost(IConfigurationRoot configuration, IHost host)
    {
        Configuration = configuration;
        Host = host;
    }

    public IConfigurationRoot Configuration { get; }

    public IHost Host { get; }

    public FakeLogCollector Logs => Host.Services.GetFakeLogCollector();

    /// <summary>A server:default profile on the test PKI's EC certificate and a client:default that verifies nothing.</summary>
    public static Dictionary<string, string?> DefaultProfiles() => new()
    {
        ["Tls:Profiles:0:Profile"] = "server:default",
        ["Tls:Profiles:0:certificate"] = TestPki.Instance.ServerEcCertificate,
        ["Tls:Profiles:0:private_key"] = TestPki.Instance.ServerEcKey,
        ["Tls:Profiles:1:Profile"] = "client:default",
        ["Tls:Profiles:1:verify_certificate"] = "no",
    };

    public static HostingTestHost Build(Dictionary<string, string?> values, Action<IServiceCollection>? services = null)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddFakeLogging().SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddOpenSslTls(configuration.GetSection("Tls"));
        services?.Invoke(builder.Services);
        return new HostingTestHost(configuration, builder.Build());
    }

    /// <summary>Sets <paramref name="values"/> (null removes a key) and raises the configuration's change.</summary>
    public void Change(Dictionary<string, string?> values)
    {
        foreach ((string key, string? value) in values)
        {
            Configuration[key] = value;
        }

        Configuration.Reload();
    }

    public void Dispose() => Host.Dispose();
}
