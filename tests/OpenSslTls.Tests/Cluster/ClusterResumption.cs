using OpenSslTls.Cluster.Redis;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// A resumption on another node through a <see cref="RedisSessionStore"/>, asked again only when the store's lookup
/// timed out: the test run blocks threads in parallel tests, and StackExchange.Redis 3 completes its answers on the
/// same .NET thread pool, so a loaded run can miss even a 2 s bound. A miss that was not a timeout fails at once.
/// </summary>
internal static class ClusterResumption
{
    public static bool Resumes(TlsProfile server, TlsProfile client, TlsSession session, RedisSessionStore store, out string trace)
    {
        var tries = new List<string>();
        for (int attempt = 0; attempt < 4; attempt++)
        {
            long timeoutsBefore = store.Timeouts;
            bool resumed = Resumption.Resumes(server, client, session);
            tries.Add($"try {attempt + 1}: resumed {resumed}, timeouts {timeoutsBefore}->{store.Timeouts}, skipped {store.Skipped}, refused {store.Refused}, errors {store.StoreErrors}, connected {store.IsConnected}");
            if (resumed || store.Timeouts == timeoutsBefore)
            {
                trace = string.Join("; ", tries);
                return resumed;
            }

            Thread.Sleep(TimeSpan.FromSeconds(1.2)); // past the store's 1 s back-off after a timeout
        }

        trace = string.Join("; ", tries);
        return false;
    }
}
