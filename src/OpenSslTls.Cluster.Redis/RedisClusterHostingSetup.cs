using Microsoft.Extensions.Options;
using OpenSslTls.Extensions.Hosting;

namespace OpenSslTls.Cluster.Redis;

/// <summary>Gives the module <c>AddOpenSslTls</c> builds the cluster's ring and session store.</summary>
internal sealed class RedisClusterHostingSetup(RedisCluster cluster) : IConfigureOptions<TlsHostingOptions>
{
    public void Configure(TlsHostingOptions options)
    {
        options.TicketKeys = cluster.Ring;
        options.SessionStore = cluster.Sessions;
        // This store acts on the module's cluster parameters (or refuses them beside a section: RedisClusterModuleParameters).
        options.HandlesClusterParameters = true;
    }
}
