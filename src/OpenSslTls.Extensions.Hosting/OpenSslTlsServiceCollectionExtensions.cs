using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSslTls.Configuration;
using OpenSslTls.Extensions.Hosting;
using OpenSslTls.Module;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// <c>services.AddOpenSslTls(…)</c>: a <see cref="TlsModule"/> singleton made from <see cref="TlsModuleOptions"/>
/// (with the host's <see cref="ILoggerFactory"/>, <see cref="IMeterFactory"/> and <see cref="TimeProvider"/>), options
/// validated at start, and a hosted service that runs the idle sweep and reloads the profiles when the options change.
/// </summary>
public static class OpenSslTlsServiceCollectionExtensions
{
    /// <summary>
    /// Binds <paramref name="section"/> (e.g. <c>configuration.GetSection("Tls")</c>) with the module's configuration
    /// reader: every module parameter by its Kamailio name (<c>verify_depth</c>) or its .NET name (<c>VerifyDepth</c>),
    /// <c>MainConfigDirectory</c>, <c>MaxClientHelloBytes</c>, a <c>config</c> tls.cfg file, or <c>Profiles</c>, a list
    /// of tls.cfg sections (<see cref="TlsModuleOptionsReader.ProfilesKey"/>). A bad value fails the host's start with
    /// an <see cref="OptionsValidationException"/> naming the key; a change of the section reloads the profiles, and a
    /// bad change is refused and logged while the running profiles stay.
    /// </summary>
    public static IServiceCollection AddOpenSslTls(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        AddCore(services);
        services.AddSingleton<IConfigureOptions<TlsModuleOptions>>(provider => new TlsSectionSetup(section, provider.GetRequiredService<TlsOptionsBinding>()));
        services.AddSingleton<IOptionsChangeTokenSource<TlsModuleOptions>>(new ConfigurationChangeTokenSource<TlsModuleOptions>(Options.Options.DefaultName, section));
        return services;
    }

    /// <summary>Like <see cref="AddOpenSslTls(IServiceCollection, IConfiguration)"/>, then <paramref name="configure"/> over the bound values.</summary>
    public static IServiceCollection AddOpenSslTls(this IServiceCollection services, IConfiguration section, Action<TlsModuleOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddOpenSslTls(services, section);
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Module options set in code (validated at start as configuration is: a value out of range fails the start naming
    /// its Kamailio parameter). Without a configuration section nothing changes at run time unless the host's options
    /// change through another <see cref="IOptionsChangeTokenSource{TOptions}"/>.
    /// </summary>
    public static IServiceCollection AddOpenSslTls(this IServiceCollection services, Action<TlsModuleOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services);
        services.Configure(configure);
        return services;
    }

    private static void AddCore(IServiceCollection services)
    {
        services.AddOptions();
        services.TryAddSingleton<TlsOptionsBinding>();
        // First of the setups (TryAddEnumerable keeps the first place): the section or code may still set MainConfigDirectory.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<TlsModuleOptions>, TlsContentRootSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TlsModuleOptions>, TlsOptionsValidator>());
        services.AddOptions<TlsModuleOptions>().ValidateOnStart();
        services.AddOptions<TlsHostingOptions>();
        services.TryAddSingleton(CreateModule);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TlsModuleHostedService>());
    }

    private static TlsModule CreateModule(IServiceProvider provider)
    {
        TlsHostingOptions hosting = provider.GetRequiredService<IOptions<TlsHostingOptions>>().Value;
        var host = new TlsModuleHostOptions
        {
            LoggerFactory = provider.GetService<ILoggerFactory>(),
            MeterFactory = provider.GetService<IMeterFactory>(),
            TimeProvider = provider.GetService<TimeProvider>() ?? TimeProvider.System,
            ClientOnly = hosting.ClientOnly,
            HandshakeTracing = hosting.HandshakeTracing,
            TicketKeys = hosting.TicketKeys,
            SessionStore = hosting.SessionStore,
            HandlesClusterParameters = hosting.HandlesClusterParameters,
        };
        foreach ((string name, Action<TlsConnectionEventArgs> handler) in hosting.EventHandlers)
        {
            host.EventHandlers[name] = handler;
        }

        // CurrentValue runs the validator: a module is never made from options with binding errors.
        return TlsModule.Create(provider.GetRequiredService<IOptionsMonitor<TlsModuleOptions>>().CurrentValue, host);
    }
}
