using System.Diagnostics;
using System.Security.Cryptography;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Connections;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// A Redis that is slow, not down: node B reaches a real <c>redis-server</c> through a proxy that holds every answer
/// (<see cref="DelayingTcpProxy"/>), node A directly. A session-id lookup never keeps a handshake past the lookup
/// bound, a ticket-key refresh never keeps one at all (tickets seal and open with the keys held), and both recover
/// by themselves when Redis is quick again.
/// </summary>
public sealed class ClusterSlowRedisTests : NativeLeakCheck
{
    private static readonly TimeSpan s_lookup = TimeSpan.FromSeconds(2); // generous: the tests run on a loaded machine
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);
    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";

    [Fact]
    public async Task Session_id_lookups_through_a_slow_redis_wait_at_most_the_bound_and_recover()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        await using var proxy = new DelayingTcpProxy(redis.Port);
        await using RedisSessionStore storeA = await Sessions(redis.Configuration);
        await using RedisSessionStore storeB = await Sessions(proxy.Configuration);
        using TlsProfile nodeA = SessionIdServer(storeA);
        using TlsProfile nodeB = SessionIdServer(storeB);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2));
        SslContextNative.SetOptions(client.Context, Ssl.SSL_OP_NO_TICKET);

        // Slow within the bound: the lookup waits for Redis and the session resumes.
        proxy.Delay = TimeSpan.FromMilliseconds(500);
        using (TlsSession slow = Resumption.FirstSession(nodeA, client))
        {
            await redis.WaitForKeysAsync(_prefix + "session:*");
            // Asked again only when the lookup timed out: the answer is 500 ms late by design, but the parallel test
            // run can starve the thread pool StackExchange.Redis completes it on past the 2 s bound (ClusterResumption).
            var tries = new List<string>();
            bool resumed = false;
            TimeSpan took = TimeSpan.Zero;
            for (int attempt = 0; attempt < 4 && !resumed; attempt++)
            {
                long timeoutsBefore = storeB.Timeouts;
                (resumed, took) = Timed(() => Resumption.Resumes(nodeB, client, slow));
                tries.Add($"resumed {resumed} in {took}, timeouts {timeoutsBefore}->{storeB.Timeouts}, errors {storeB.StoreErrors}");
                if (resumed || storeB.Timeouts == timeoutsBefore)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds(1.2)); // past the back-off a timeout starts
            }

            Assert.True(resumed, $"a lookup answered within the bound did not resume ({string.Join("; ", tries)})");
            Assert.True(took >= proxy.Delay, $"the handshake did not wait for the slow answer ({took})");
        }

        // Slower than the bound: the first handshake waits the bound and goes on with a full handshake; the next ones
        // do not ask Redis during the back-off.
        proxy.Delay = 2 * s_lookup;
        using TlsSession session = Resumption.FirstSession(nodeA, client);
        await redis.WaitForKeysAsync(_prefix + "session:*", 2);
        var durations = new List<TimeSpan>();
        for (int i = 0; i < 3; i++)
        {
            (bool resumed, TimeSpan took) = Timed(() => Resumption.Resumes(nodeB, client, session));
            Assert.False(resumed, $"a session resumed though Redis answers after {proxy.Delay}");
            durations.Add(took);
        }

        string state = $"durations {string.Join(", ", durations)}; timeouts {storeB.Timeouts}, skipped {storeB.Skipped}, errors {storeB.StoreErrors}";
        Assert.True(durations[0] >= s_lookup, $"the first handshake did not wait for Redis ({state})");
        Assert.True(durations[0] < s_lookup + TimeSpan.FromSeconds(1.5), $"the first handshake waited past the bound ({state})");
        Assert.True(durations[1] < TimeSpan.FromSeconds(1.5) && durations[2] < TimeSpan.FromSeconds(1.5), $"handshakes in the back-off waited for Redis ({state})");
        Assert.True(storeB.Timeouts >= 1 && storeB.Skipped >= 2, state);

        // Quick again: past the back-off the lookups ask Redis and the session resumes on B (polled, bounded).
        proxy.Delay = TimeSpan.Zero;
        var deadline = Stopwatch.StartNew();
        bool recovered = false;
        while (!recovered && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            recovered = Resumption.Resumes(nodeB, client, session);
            if (!recovered)
            {
                await Task.Delay(250);
            }
        }

        Assert.True(recovered, $"node B did not resume once Redis was quick again ({state}; now timeouts {storeB.Timeouts}, skipped {storeB.Skipped}, errors {storeB.StoreErrors})");
    }

    [Theory]
    [InlineData(TlsMethod.TLSv1_3)]
    [InlineData(TlsMethod.TLSv1_2)]
    public async Task A_ticket_key_refresh_through_a_slow_redis_never_holds_a_handshake_and_catches_up(TlsMethod method)
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        await using var proxy = new DelayingTcpProxy(redis.Port);
        using var ringA = new TlsTicketKeyRing();
        using var ringB = new TlsTicketKeyRing();
        // Only node A rotates (every second, when the test refreshes it), so B's ring can be compared with A's.
        await using RedisTicketKeyStore storeA = Keys(redis.Configuration, ringA, TimeSpan.FromSeconds(1));
        await using RedisTicketKeyStore storeB = Keys(proxy.Configuration, ringB, TimeSpan.FromHours(1));
        await storeA.StartAsync();
        await storeB.StartAsync();
        Assert.True(await CaughtUp(storeB, ringB, ringA), $"node B never held node A's key (errors {storeB.StoreErrors})");
        using TlsProfile nodeA = TicketServer(method, ringA);
        using TlsProfile nodeB = TicketServer(method, ringB);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));

        // Slow within the operation timeout (each of the refresh's round trips waits 1.5 s): the refresh succeeds late;
        // meanwhile node B seals and opens tickets with the keys it holds, never waiting for the refresh.
        proxy.Delay = TimeSpan.FromSeconds(1.5);
        (bool refreshed, TimeSpan slowest, int handshakes) = await HandshakesDuring(storeB.RefreshAsync(), nodeA, nodeB, client);
        Assert.True(refreshed, $"a refresh answered within the timeout failed (errors {storeB.StoreErrors})");
        Assert.True(handshakes >= 1 && slowest < proxy.Delay, $"{handshakes} handshake pairs during a slow refresh, the slowest {slowest}");

        // Slower than the timeout, while node A rotates: B's refresh fails within the timeout and keeps the keys held,
        // B's tickets keep resuming on A (the key B holds is still in A's window) and on B, and no handshake waits.
        proxy.Delay = TimeSpan.FromSeconds(8);
        long rotations = storeA.Rotations + storeB.Rotations;
        var rotating = Stopwatch.StartNew();
        while (storeA.Rotations + storeB.Rotations == rotations && rotating.Elapsed < TimeSpan.FromSeconds(30))
        {
            Assert.True(await storeA.RefreshAsync(), $"node A's refresh straight to Redis failed (errors {storeA.StoreErrors})");
            await Task.Delay(100); // polling for the rotation interval (1 s) to pass on Redis's clock
        }

        Assert.True(storeA.Rotations + storeB.Rotations == rotations + 1, $"node A made no new key within 30 s (rotations {storeA.Rotations}/{storeB.Rotations})");
        IReadOnlyList<string> held = ringB.KeyNames;
        var refresh = Stopwatch.StartNew();
        (refreshed, slowest, handshakes) = await HandshakesDuring(storeB.RefreshAsync(), nodeA, nodeB, client);
        TimeSpan failedAfter = refresh.Elapsed;
        Assert.False(refreshed, "a refresh through a Redis answering after 8 s succeeded with a 4 s timeout");
        Assert.True(failedAfter < TimeSpan.FromSeconds(4) + TimeSpan.FromSeconds(3), $"the failing refresh took {failedAfter}");
        Assert.True(handshakes >= 1 && slowest < TimeSpan.FromSeconds(1.5), $"{handshakes} handshake pairs during a failing refresh, the slowest {slowest}");
        Assert.Equal(held, ringB.KeyNames);

        // Quick again: the next refresh takes the key node A made (polled, bounded).
        proxy.Delay = TimeSpan.Zero;
        Assert.True(await CaughtUp(storeB, ringB, ringA), $"node B did not catch up (B {string.Join(",", ringB.KeyNames)}, A {string.Join(",", ringA.KeyNames)}, errors {storeB.StoreErrors})");
        using TlsSession session = Resumption.FirstSession(nodeA, client);
        Assert.True(Resumption.Resumes(nodeB, client, session), "a ticket of node A did not resume on node B after it caught up");
    }

    // Ticket handshakes in a loop while B's refresh runs: a new one on B (sealed with the key B holds) resumed on A and
    // on B itself.
    private static async Task<(bool Refreshed, TimeSpan Slowest, int Pairs)> HandshakesDuring(Task<bool> refresh, TlsProfile nodeA, TlsProfile nodeB, TlsProfile client)
    {
        TimeSpan slowest = TimeSpan.Zero;
        int pairs = 0;
        await Task.Run(() =>
        {
            while (!refresh.IsCompleted)
            {
                foreach ((TlsProfile issuer, TlsProfile resumer) in new[] { (nodeB, nodeA), (nodeB, nodeB) })
                {
                    var watch = Stopwatch.StartNew();
                    using TlsSession session = Resumption.FirstSession(issuer, client);
                    Assert.True(Resumption.Resumes(resumer, client, session), $"a ticket did not cross nodes while a refresh was pending ({pairs} pairs before)");
                    slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
                }

                pairs++;
            }
        });
        return (await refresh, slowest, pairs);
    }

    // Refreshes (polled, bounded: the connection through the proxy may still be coming up) until B holds A's keys.
    private static async Task<bool> CaughtUp(RedisTicketKeyStore store, TlsTicketKeyRing ring, TlsTicketKeyRing other)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (await store.RefreshAsync() && ring.KeyNames.SequenceEqual(other.KeyNames))
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }

    private static (bool Result, TimeSpan Took) Timed(Func<bool> handshake)
    {
        var watch = Stopwatch.StartNew();
        bool result = handshake();
        return (result, watch.Elapsed);
    }

    private async Task<RedisSessionStore> Sessions(string configuration)
    {
        var store = new RedisSessionStore(new RedisSessionStoreOptions { Configuration = configuration, KeyPrefix = _prefix, KeyEncryptionKey = _kek, LookupTimeout = s_lookup });
        await store.StartAsync();
        return store;
    }

    private RedisTicketKeyStore Keys(string configuration, TlsTicketKeyRing ring, TimeSpan rotation) =>
        new(
            new RedisTicketKeyStoreOptions
            {
                Configuration = configuration,
                KeyPrefix = _prefix,
                KeyEncryptionKey = _kek,
                RotationInterval = rotation,
                RefreshInterval = TimeSpan.FromMinutes(5), // the test refreshes explicitly
                OperationTimeout = TimeSpan.FromSeconds(4),
                ActivationDelayOverride = TimeSpan.Zero, // the new key seals at once: the test compares the rings
            },
            ring);

    private static TlsProfile SessionIdServer(TlsSessionStore store) =>
        TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(TlsMethod.TLSv1_2), new TlsTuning { SessionCache = true }, new TlsRuntimeParameters { SessionStore = store });

    private static TlsProfile TicketServer(TlsMethod method, TlsTicketKeyRing ring) =>
        TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method), new TlsTuning { SessionCache = true }, new TlsRuntimeParameters { TicketKeys = ring });
}
