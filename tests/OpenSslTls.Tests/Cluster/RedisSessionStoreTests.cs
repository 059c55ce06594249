using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Connections;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;
using StackExchange.Redis;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// TLS 1.2 session ids shared through a real <c>redis-server</c>: each node is a store and a server profile of its own
/// (own SSL_CTX, so without the store its own internal cache), and a client that offers no ticket extension resumes
/// by session id across them. Faults are real: Redis not running, paused (slow), and a node with another
/// key-encryption key.
/// </summary>
public sealed class RedisSessionStoreTests : NativeLeakCheck
{
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);
    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";

    [Fact]
    public async Task Nodes_sharing_a_store_resume_each_others_session_ids_and_nodes_without_it_do_not()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        await using RedisSessionStore storeA = await Started(redis.Configuration);
        await using RedisSessionStore storeB = await Started(redis.Configuration);
        using TlsProfile nodeA = Server(storeA);
        using TlsProfile nodeB = Server(storeB);
        using TlsProfile client = SessionIdClient();

        using (TlsSession session = Resumption.FirstSession(nodeA, client))
        {
            Assert.Equal(1, storeA.Added);
            await redis.WaitForKeysAsync(_prefix + "session:*"); // stores are sent without waiting for Redis
            Assert.True(ClusterResumption.Resumes(nodeB, client, session, storeB, out string trace), $"node B did not resume a session id node A issued ({trace})");
            Assert.Equal(1, storeB.RemoteHits);
            Assert.True(Resumption.Resumes(nodeA, client, session), "node A did not resume its own session id");
            Assert.Equal(1, storeA.LocalHits);
        }

        // The same two nodes without the store: each has only its own internal cache.
        using TlsProfile aloneA = Server(null);
        using TlsProfile aloneB = Server(null);
        using TlsSession alone = Resumption.FirstSession(aloneA, client);
        Assert.False(Resumption.Resumes(aloneB, client, alone), "a node without the store resumed another node's session id");
        Assert.True(Resumption.Resumes(aloneA, client, alone));
    }

    [Fact]
    public async Task Sessions_are_stored_encrypted_with_their_own_timeout_as_ttl_and_expire_with_it()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        await using RedisSessionStore storeA = await Started(redis.Configuration);
        await using RedisSessionStore storeB = await Started(redis.Configuration);
        using TlsProfile nodeA = Server(storeA, timeoutSeconds: 2);
        using TlsProfile nodeB = Server(storeB, timeoutSeconds: 2);
        using TlsProfile client = SessionIdClient();
        using TlsSession session = Resumption.FirstSession(nodeA, client);

        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",allowAdmin=true");
        RedisKey key = Assert.Single(await Keys(admin, _prefix + "session:*"));
        TimeSpan? ttl = await admin.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2));
        byte[] stored = (byte[])(await admin.GetDatabase().StringGetAsync(key))!;
        byte[] id = Convert.FromHexString(key.ToString().Split(':')[^1]);
        Assert.True(stored.AsSpan().IndexOf(id) < 0, "the stored session holds its session id in clear (is it encrypted?)");

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Empty(await Keys(admin, _prefix + "session:*"));
        Assert.False(Resumption.Resumes(nodeB, client, session), "a session resumed after its timeout");
    }

    [Fact]
    public async Task A_node_with_another_key_encryption_key_refuses_the_stored_sessions_and_logs_once()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        var logger = new FakeLogger();
        await using RedisSessionStore storeA = await Started(redis.Configuration);
        await using RedisSessionStore storeC = await Started(redis.Configuration, kek: RandomNumberGenerator.GetBytes(32), logger: logger);
        using TlsProfile nodeA = Server(storeA);
        using TlsProfile nodeC = Server(storeC);
        using TlsProfile client = SessionIdClient();
        using TlsSession first = Resumption.FirstSession(nodeA, client);
        using TlsSession second = Resumption.FirstSession(nodeA, client);
        await redis.WaitForKeysAsync(_prefix + "session:*", 2); // the stores are sent without waiting

        Assert.False(Resumption.Resumes(nodeC, client, first), "a node with another key-encryption key resumed a stored session");
        Assert.False(Resumption.Resumes(nodeC, client, second));
        Assert.Equal(2, storeC.Refused);
        Assert.Single(logger.Collector.GetSnapshot(), record => record.Level == LogLevel.Error && record.Message.Contains("key-encryption key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_redis_down_handshakes_are_full_ones_without_waiting_and_the_node_resumes_its_own()
    {
        int port = RedisServerProcess.FreePort();
        await using RedisSessionStore store = await Started($"127.0.0.1:{port}");
        using TlsProfile node = Server(store);
        using TlsProfile other = Server(null);
        using TlsProfile client = SessionIdClient();
        using TlsSession foreign = Resumption.FirstSession(other, client);

        var slowest = TimeSpan.Zero;
        for (int i = 0; i < 5; i++)
        {
            var handshake = Stopwatch.StartNew();
            Assert.False(Resumption.Resumes(node, client, foreign));
            slowest = handshake.Elapsed > slowest ? handshake.Elapsed : slowest;
        }

        Assert.True(store.Skipped >= 5, $"lookups asked a Redis that is down ({store.Skipped} skipped)");
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a handshake took {slowest} with Redis down");
        using TlsSession own = Resumption.FirstSession(node, client);
        Assert.True(Resumption.Resumes(node, client, own), "the node did not resume its own session id from memory while Redis was down");
    }

    [Fact]
    public async Task A_paused_redis_costs_a_handshake_at_most_the_lookup_timeout_and_the_next_ones_nothing()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        await using RedisSessionStore storeA = await Started(redis.Configuration);
        await using RedisSessionStore storeB = await Started(redis.Configuration, lookupTimeout: TimeSpan.FromMilliseconds(100));
        using TlsProfile nodeA = Server(storeA);
        using TlsProfile nodeB = Server(storeB);
        using TlsProfile client = SessionIdClient();
        using TlsSession session = Resumption.FirstSession(nodeA, client);
        await redis.WaitForKeysAsync(_prefix + "session:*");

        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        var durations = new List<TimeSpan>();
        for (int i = 0; i < 3; i++)
        {
            var handshake = Stopwatch.StartNew();
            Assert.False(Resumption.Resumes(nodeB, client, session), "a session resumed though Redis was paused");
            durations.Add(handshake.Elapsed);
        }

        Assert.Equal(1, storeB.Timeouts);
        Assert.True(storeB.Skipped >= 2);
        // The bound is 100 ms; the rest is the handshake itself on a loaded machine.
        Assert.True(durations[0] < TimeSpan.FromMilliseconds(100) + TimeSpan.FromMilliseconds(900), $"the first handshake waited {durations[0]}");
        Assert.True(durations[0] >= TimeSpan.FromMilliseconds(100), $"the first handshake did not wait for Redis at all ({durations[0]})");

        await admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");
        // Past RetryAfter it asks Redis again; a loaded machine may miss the 100 ms bound once more, which only starts
        // another back-off, so it gets a few rounds (bounded) to show it recovers by itself.
        bool recovered = false;
        for (int round = 0; round < 8 && !recovered; round++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1.2));
            recovered = Resumption.Resumes(nodeB, client, session);
        }

        Assert.True(recovered, $"node B did not resume once Redis answered again (timeouts {storeB.Timeouts}, errors {storeB.StoreErrors})");
    }

    private async Task<RedisSessionStore> Started(string configuration, byte[]? kek = null, ILogger? logger = null, TimeSpan? lookupTimeout = null)
    {
        var store = new RedisSessionStore(
            new RedisSessionStoreOptions
            {
                Configuration = configuration,
                KeyPrefix = _prefix,
                KeyEncryptionKey = kek ?? _kek,
                LookupTimeout = lookupTimeout ?? TimeSpan.FromSeconds(2), // generous: the tests run on a loaded machine
            },
            logger);
        await store.StartAsync();
        return store;
    }

    private static async Task<RedisKey[]> Keys(ConnectionMultiplexer admin, string pattern)
    {
        RedisResult result = await admin.GetDatabase().ExecuteAsync("KEYS", pattern);
        return [.. ((RedisResult[])result!).Select(r => (RedisKey)(string)r!)];
    }

    private static unsafe TlsProfile Server(TlsSessionStore? store, int timeoutSeconds = 0)
    {
        TlsProfile profile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(TlsMethod.TLSv1_2), new TlsTuning { SessionCache = true }, new TlsRuntimeParameters { SessionStore = store });
        if (timeoutSeconds > 0)
        {
            Ssl.SSL_CTX_set_timeout(profile.Context.Pointer, timeoutSeconds);
        }

        return profile;
    }

    // A TLS 1.2 client that offers no ticket extension (s_client -no_ticket): it can only resume by session id.
    private static TlsProfile SessionIdClient()
    {
        TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2));
        SslContextNative.SetOptions(client.Context, Ssl.SSL_OP_NO_TICKET);
        return client;
    }
}
