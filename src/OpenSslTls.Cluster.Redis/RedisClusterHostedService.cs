using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OpenSslTls.Cluster.Redis;

/// <summary>
/// Starts the cluster store with the host, after the module's own hosted service (registered after it, so the module
/// and its ring exist), and stops the key rotation with it; the ring and the session store go with the container.
/// </summary>
internal sealed class RedisClusterHostedService(IServiceProvider services) : IHostedService
{
    private RedisCluster? _cluster;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _cluster = services.GetRequiredService<RedisCluster>();
        return _cluster.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_cluster is not null)
        {
            await _cluster.StopTicketKeysAsync().ConfigureAwait(false);
        }
    }
}
