using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// Nodes sharing session-ticket keys through a real <c>redis-server</c>: each node is a ring, a store and server
/// profiles of its own (own SSL_CTX, so without the store its own random keys), and tickets cross between them.
/// Faults are real too: Redis not running at start, killed mid-run, and a node with another key-encryption key.
/// </summary>
public sealed class RedisTicketKeyStoreTests : NativeLeakCheck
{
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);
    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";

    [Theory]
    [InlineData(TlsMethod.TLSv1_3)]
    [InlineData(TlsMethod.TLSv1_2)]
    public async Task Nodes_sharing_a_store_resume_each_others_tickets(TlsMethod method)
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        using var ringA = new TlsTicketKeyRing();
        using var ringB = new TlsTicketKeyRing();
        await using RedisTicketKeyStore storeA = Store(redis.Configuration, ringA);
        await using RedisTicketKeyStore storeB = Store(redis.Configuration, ringB);
        await storeA.StartAsync();
        await storeB.StartAsync();

        Assert.True(storeA.IsConnected && storeB.IsConnected);
        Assert.Equal(1, storeA.Rotations + storeB.Rotations);
        Assert.Equal(ringA.KeyNames, ringB.KeyNames);
        using TlsProfile nodeA = Server(method, ringA);
        using TlsProfile nodeB = Server(method, ringB);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));
        using TlsSession session = Resumption.FirstSession(nodeA, client);
        Assert.True(Resumption.Resumes(nodeB, client, session), "node B did not resume a ticket node A issued");
    }

    [Fact]
    public async Task A_rotation_by_one_node_reaches_the_other_and_tickets_of_the_previous_key_still_resume()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        using var ringA = new TlsTicketKeyRing();
        using var ringB = new TlsTicketKeyRing();
        await using RedisTicketKeyStore storeA = Store(redis.Configuration, ringA, rotation: TimeSpan.FromSeconds(1));
        await using RedisTicketKeyStore storeB = Store(redis.Configuration, ringB, rotation: TimeSpan.FromSeconds(1));
        await storeA.StartAsync();
        await storeB.StartAsync();
        using TlsProfile nodeA = Server(TlsMethod.TLSv1_2, ringA);
        using TlsProfile nodeB = Server(TlsMethod.TLSv1_2, ringB);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2));
        using TlsSession session = Resumption.FirstSession(nodeA, client);
        string first = ringA.KeyNames[0];

        await Task.Delay(TimeSpan.FromMilliseconds(1200));
        Assert.True(await storeA.RefreshAsync());
        Assert.True(await storeB.RefreshAsync());

        Assert.Equal(2, storeA.Rotations + storeB.Rotations);
        Assert.Equal(ringA.KeyNames, ringB.KeyNames);

        // The new key first only opens (the other nodes may not have read it yet); the previous one still seals until
        // the activation delay (here half the rotation interval) has passed on Redis's clock.
        Assert.Equal(first, ringB.KeyNames[0]);
        string next = ringB.KeyNames[1];
        Assert.True(await Eventually(async token => await storeB.RefreshAsync(token) && ringB.KeyNames[0] == next), $"the new key never sealed on node B (keys {string.Join(",", ringB.KeyNames)})");
        Assert.Equal(first, ringB.KeyNames[1]);
        long renewed = ringB.TicketsRenewed;
        Assert.True(Resumption.Resumes(nodeB, client, session), "a ticket of the previous cluster key did not resume after the rotation");
        Assert.Equal(renewed + 1, ringB.TicketsRenewed);
    }

    [Fact]
    public async Task Redis_down_at_start_leaves_a_working_local_key_and_the_store_recovers_when_redis_comes()
    {
        int port = RedisServerProcess.FreePort();
        using var ring = new TlsTicketKeyRing();
        await using RedisTicketKeyStore store = Store($"127.0.0.1:{port}", ring);

        var started = Stopwatch.StartNew();
        await store.StartAsync();
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"StartAsync took {started.Elapsed} with Redis down");
        Assert.False(store.IsConnected);
        Assert.True(store.StoreErrors >= 1);
        string local = Assert.Single(ring.KeyNames);
        using TlsProfile server = Server(TlsMethod.TLSv1_3, ring);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_3));
        using (TlsSession session = Resumption.FirstSession(server, client))
        {
            Assert.True(Resumption.Resumes(server, client, session), "the node's own key did not resume its ticket while Redis was down");
        }

        using RedisServerProcess redis = RedisServerProcess.Start(port);
        Assert.True(await Eventually(store.RefreshAsync), "the store did not reach Redis after it started");
        Assert.True(store.IsConnected);
        Assert.Equal(1, store.Rotations);
        Assert.NotEqual(local, ring.KeyNames[0]);
    }

    [Fact]
    public async Task Redis_dying_mid_run_keeps_the_keys_held_and_refreshes_fail_within_the_timeout()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        using var ring = new TlsTicketKeyRing();
        await using RedisTicketKeyStore store = Store(redis.Configuration, ring);
        await store.StartAsync();
        IReadOnlyList<string> held = ring.KeyNames;

        redis.Stop();
        var refresh = Stopwatch.StartNew();
        Assert.False(await store.RefreshAsync());
        Assert.True(refresh.Elapsed < TimeSpan.FromSeconds(10), $"a refresh with Redis down took {refresh.Elapsed}");
        Assert.Equal(held, ring.KeyNames);
        using TlsProfile server = Server(TlsMethod.TLSv1_2, ring);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2));
        using TlsSession session = Resumption.FirstSession(server, client);
        Assert.True(Resumption.Resumes(server, client, session), "the held cluster key stopped working while Redis was down");

        redis.Start();
        Assert.True(await Eventually(store.RefreshAsync), "the store did not recover when Redis came back");
    }

    [Fact]
    public async Task A_node_with_another_key_encryption_key_keeps_its_own_key_is_refused_elsewhere_and_logs_once()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        using var ringA = new TlsTicketKeyRing();
        using var ringC = new TlsTicketKeyRing();
        var logger = new FakeLogger();
        await using RedisTicketKeyStore storeA = Store(redis.Configuration, ringA);
        await using RedisTicketKeyStore storeC = Store(redis.Configuration, ringC, kek: RandomNumberGenerator.GetBytes(32), logger: logger);
        await storeA.StartAsync();
        await storeC.StartAsync();
        Assert.True(await storeC.RefreshAsync());

        Assert.True(storeC.KeysRefused >= 2);
        Assert.Equal(0, storeC.Rotations);
        Assert.NotEqual(ringA.KeyNames[0], ringC.KeyNames[0]);
        Assert.Single(logger.Collector.GetSnapshot(), record => record.Level == LogLevel.Error && record.Message.Contains("key-encryption key", StringComparison.Ordinal));
        Assert.True(await storeA.RefreshAsync());
        Assert.Equal(0, storeA.KeysRefused);
        using TlsProfile nodeA = Server(TlsMethod.TLSv1_3, ringA);
        using TlsProfile nodeC = Server(TlsMethod.TLSv1_3, ringC);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_3));
        using TlsSession session = Resumption.FirstSession(nodeC, client);
        Assert.False(Resumption.Resumes(nodeA, client, session), "a ticket of the node with the wrong key-encryption key resumed elsewhere");
    }

    [Fact]
    public void Key_encryption_key_files_are_raw_hex_or_base64_and_anything_else_names_the_file()
    {
        string directory = Directory.CreateTempSubdirectory("kek").FullName;
        try
        {
            byte[] key = RandomNumberGenerator.GetBytes(32);
            File.WriteAllBytes(Path.Combine(directory, "raw"), key);
            File.WriteAllText(Path.Combine(directory, "hex"), Convert.ToHexString(key) + "\n");
            File.WriteAllText(Path.Combine(directory, "b64"), Convert.ToBase64String(key) + "\n");
            File.WriteAllText(Path.Combine(directory, "short"), "abcdef\n");
            foreach (string name in new[] { "raw", "hex", "b64" })
            {
                Assert.Equal(key, RedisTicketKeyStore.ReadKeyEncryptionKey(Path.Combine(directory, name)));
            }

            InvalidDataException error = Assert.Throws<InvalidDataException>(() => RedisTicketKeyStore.ReadKeyEncryptionKey(Path.Combine(directory, "short")));
            Assert.Contains(Path.Combine(directory, "short"), error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("abcdef", error.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => new RedisTicketKeyStore(new RedisTicketKeyStoreOptions { KeyEncryptionKey = new byte[16] }, new TlsTicketKeyRing()));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private RedisTicketKeyStore Store(string configuration, TlsTicketKeyRing ring, TimeSpan? rotation = null, byte[]? kek = null, ILogger? logger = null) =>
        new(
            new RedisTicketKeyStoreOptions
            {
                Configuration = configuration,
                KeyPrefix = _prefix,
                KeyEncryptionKey = kek ?? _kek,
                RotationInterval = rotation ?? TimeSpan.FromHours(12),
                RefreshInterval = TimeSpan.FromMinutes(5), // the tests refresh explicitly
                OperationTimeout = TimeSpan.FromSeconds(3), // generous: the tests run on a loaded machine
            },
            ring,
            logger);

    private static async Task<bool> Eventually(Func<CancellationToken, Task<bool>> refresh)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (await refresh(CancellationToken.None))
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }

    private static TlsProfile Server(TlsMethod method, TlsTicketKeyRing ring) =>
        TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method), new TlsTuning { SessionCache = true }, new TlsRuntimeParameters { TicketKeys = ring });
}
