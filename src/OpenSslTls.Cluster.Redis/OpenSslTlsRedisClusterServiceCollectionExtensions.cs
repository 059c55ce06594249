using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Configuration;
using OpenSslTls.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// <c>services.AddOpenSslTlsRedisCluster(…)</c>: cluster-wide resumption for the module <c>AddOpenSslTls</c> builds,
/// as serve's <c>--cluster</c> gives it: session-ticket keys shared and rotated through Redis
/// (<see cref="RedisTicketKeyStore"/>) and TLS 1.2 session ids cached there (<see cref="RedisSessionStore"/>).
/// </summary>
public static class OpenSslTlsRedisClusterServiceCollectionExtensions
{
    /// <summary>
    /// Binds <paramref name="section"/> (e.g. <c>configuration.GetSection("TlsCluster")</c>) to
    /// <see cref="RedisClusterOptions"/>, validated at the host's start (an <see cref="OptionsValidationException"/>
    /// naming each bad key: the address, a missing or short key file, a rotation under 1 s, a window under 2…). The
    /// stores are made with the module and given to it (<see cref="TlsHostingOptions.TicketKeys"/>,
    /// <see cref="TlsHostingOptions.SessionStore"/>), connect when the host starts (after the module's hosted service:
    /// call this after <c>AddOpenSslTls</c>), stop rotating when it stops, and turn <c>session_cache</c> on, which
    /// session-id resumption needs (Kamailio's default is off). Section values are read once, at start (a change needs a
    /// restart). The module's own <c>cluster_address</c> must then be unset (else the start fails naming both).
    /// </summary>
    public static IServiceCollection AddOpenSslTlsRedisCluster(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        AddCore(services);
        services.AddSingleton<IConfigureOptions<RedisClusterOptions>>(new RedisClusterSectionSetup(section));
        return services;
    }

    /// <summary>
    /// Like <see cref="AddOpenSslTlsRedisCluster(IServiceCollection, IConfiguration)"/>, with the values from the
    /// module's own parameters (the section <c>AddOpenSslTls</c> binds, or its code): <c>cluster_address</c>,
    /// <c>cluster_key_file</c> (resolved by Kamailio's file name rule against <c>MainConfigDirectory</c>),
    /// <c>cluster_rotation</c> (seconds), <c>cluster_window</c>, <c>cluster_lookup_timeout</c> (milliseconds) and
    /// <c>cluster_key_prefix</c>; errors name those parameters. A cluster is configured in one place: a cluster section
    /// or code given to another overload as well, or module parameters beside another overload, fails the host's start
    /// naming both. The parameters are read once, at start: a change of them is refused by the module's reload
    /// (logged; the running cluster and profiles stay) and needs a restart.
    /// </summary>
    public static IServiceCollection AddOpenSslTlsRedisCluster(this IServiceCollection services)
    {
        AddCore(services);
        services.Configure<RedisClusterOptions>(options => options.FromModuleParameters = true);
        return services;
    }

    /// <summary>Like <see cref="AddOpenSslTlsRedisCluster(IServiceCollection, IConfiguration)"/>, with the values set in code.</summary>
    public static IServiceCollection AddOpenSslTlsRedisCluster(this IServiceCollection services, Action<RedisClusterOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services);
        services.Configure(configure);
        return services;
    }

    private static void AddCore(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<RedisClusterOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisClusterOptions>, RedisClusterOptionsValidator>());
        services.TryAddSingleton<RedisCluster>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<RedisClusterOptions>, RedisClusterModuleParameters>());
        if (services.Any(d => d.ServiceType == typeof(IConfigureOptions<TlsHostingOptions>) && d.ImplementationType == typeof(RedisClusterHostingSetup)))
        {
            return;
        }

        services.AddSingleton<IConfigureOptions<TlsHostingOptions>, RedisClusterHostingSetup>();
        services.PostConfigure<TlsModuleOptions>(options => options.SessionCache = true);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisClusterHostedService>());
    }
}
