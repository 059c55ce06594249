using Microsoft.Extensions.Options;
using OpenSslTls.Configuration;

namespace OpenSslTls.Cluster.Redis;

/// <summary>
/// Brings the module's own cluster parameters (<c>cluster_address</c>, … of the section <c>AddOpenSslTls</c> binds)
/// into <see cref="RedisClusterOptions"/> for <c>AddOpenSslTlsRedisCluster()</c>, and refuses a cluster configured in
/// two places (a cluster section or code, and the module parameters): which one would win is not obvious to whoever
/// reads either, so the host does not start and the error names both.
/// </summary>
internal sealed class RedisClusterModuleParameters(IOptionsMonitor<TlsModuleOptions> module) : IPostConfigureOptions<RedisClusterOptions>
{
    public void PostConfigure(string? name, RedisClusterOptions options)
    {
        TlsModuleOptions parameters = module.CurrentValue;
        if (!options.FromModuleParameters)
        {
            if (parameters.HasCluster)
            {
                options.BindingErrors.Add($"{options.SectionPath}:Address ('{options.Address}') and the module parameter cluster_address ('{parameters.ClusterAddress}') are both set: " +
                    "configure the cluster in one place, AddOpenSslTlsRedisCluster(section) or AddOpenSslTlsRedisCluster() with the module's cluster_* parameters");
            }

            return;
        }

        if (options.Address is not null || options.KeyFile is not null)
        {
            options.BindingErrors.Add($"the module parameter cluster_address ('{parameters.ClusterAddress}') and {options.SectionPath}:Address ('{options.Address}') are both set: " +
                "configure the cluster in one place, AddOpenSslTlsRedisCluster(section) or AddOpenSslTlsRedisCluster() with the module's cluster_* parameters");
            return;
        }

        options.Address = parameters.ClusterAddress;
        // Kamailio's file name rule, as for every file the module names (relative to MainConfigDirectory).
        options.KeyFile = string.IsNullOrEmpty(parameters.ClusterKeyFile) ? null : parameters.ResolvePath(parameters.ClusterKeyFile);
        options.RotationInterval = TimeSpan.FromSeconds(parameters.ClusterRotation);
        options.Window = parameters.ClusterWindow;
        options.LookupTimeout = TimeSpan.FromMilliseconds(parameters.ClusterLookupTimeout);
        options.KeyPrefix = parameters.ClusterKeyPrefix;
    }
}
