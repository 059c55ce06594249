using System.Diagnostics;
using System.Security.Cryptography;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;
using StackExchange.Redis;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// Three nodes sharing a real <c>redis-server</c> rotate their ticket keys every second (the shortest interval, each
/// refreshing on its own timer as a node does) while loops make handshakes without pause: a new session on one node,
/// resumed on the next, for TLS 1.3 tickets, TLS 1.2 tickets and TLS 1.2 session ids at once. No handshake may fail,
/// and every reconnect must resume across nodes through the rotations.
/// </summary>
public sealed class ClusterRotationUnderLoadTests : NativeLeakCheck
{
    private const int Nodes = 3;
    private const int RotationsToSee = 3;
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);
    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";

    [Fact]
    public async Task Handshakes_through_several_rotations_never_fail_and_keep_resuming_across_nodes()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        var rings = new TlsTicketKeyRing[Nodes];
        var keyStores = new RedisTicketKeyStore[Nodes];
        var sessionStores = new RedisSessionStore[Nodes];
        var profiles = new List<TlsProfile>();
        try
        {
            for (int i = 0; i < Nodes; i++)
            {
                rings[i] = new TlsTicketKeyRing();
                keyStores[i] = new RedisTicketKeyStore(
                    new RedisTicketKeyStoreOptions
                    {
                        Configuration = redis.Configuration,
                        KeyPrefix = _prefix,
                        KeyEncryptionKey = _kek,
                        RotationInterval = TimeSpan.FromSeconds(1), // the shortest the options allow
                        RefreshInterval = TimeSpan.FromMilliseconds(250),
                        OperationTimeout = TimeSpan.FromSeconds(3), // generous: the tests run on a loaded machine
                        NodeName = $"node{i}",
                    },
                    rings[i]);
                sessionStores[i] = new RedisSessionStore(new RedisSessionStoreOptions
                {
                    Configuration = redis.Configuration,
                    KeyPrefix = _prefix,
                    KeyEncryptionKey = _kek,
                    LookupTimeout = TimeSpan.FromSeconds(2),
                });
            }

            foreach (RedisTicketKeyStore store in keyStores)
            {
                await store.StartAsync();
            }

            foreach (RedisSessionStore store in sessionStores)
            {
                await store.StartAsync();
            }

            TlsProfile[] Servers(Func<int, TlsProfile> make)
            {
                TlsProfile[] made = [.. Enumerable.Range(0, Nodes).Select(make)];
                profiles.AddRange(made);
                return made;
            }

            TlsProfile Client(TlsMethod method, bool noTicket)
            {
                TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));
                if (noTicket)
                {
                    SslContextNative.SetOptions(client.Context, Ssl.SSL_OP_NO_TICKET);
                }

                profiles.Add(client);
                return client;
            }

            var modes = new Mode[]
            {
                new("TLS 1.3 tickets", Servers(i => TicketServer(TlsMethod.TLSv1_3, rings[i])), Client(TlsMethod.TLSv1_3, false), null),
                new("TLS 1.2 tickets", Servers(i => TicketServer(TlsMethod.TLSv1_2, rings[i])), Client(TlsMethod.TLSv1_2, false), null),
                new("TLS 1.2 session ids", Servers(i => SessionIdServer(sessionStores[i])), Client(TlsMethod.TLSv1_2, true), redis),
            };

            long rotationsBefore = keyStores.Sum(s => s.Rotations);
            using var stop = new CancellationTokenSource();
            Task[] loops = [.. modes.Select(mode => Task.Factory.StartNew(() => mode.Run(_prefix, stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))];

            // Runs until the cluster has rotated several times (polled, bounded), then stops the loops.
            var elapsed = Stopwatch.StartNew();
            while (keyStores.Sum(s => s.Rotations) - rotationsBefore < RotationsToSee && elapsed.Elapsed < TimeSpan.FromSeconds(15) && !loops.Any(l => l.IsCompleted))
            {
                await Task.Delay(50);
            }

            long rotations = keyStores.Sum(s => s.Rotations) - rotationsBefore;
            await stop.CancelAsync();
            await Task.WhenAll(loops);

            string counts = string.Join("; ", modes.Select(m => m.ToString())) +
                $"; rotations {rotations} in {elapsed.Elapsed.TotalSeconds:F1} s; store errors {string.Join("/", keyStores.Select(s => s.StoreErrors))}" +
                $"; ticket keys unknown {string.Join("/", rings.Select(r => r.TicketsUnknown))}, renewed {string.Join("/", rings.Select(r => r.TicketsRenewed))}";
            Assert.True(rotations >= RotationsToSee, $"the cluster rotated {rotations} times, expected {RotationsToSee}: {counts}");
            foreach (Mode mode in modes)
            {
                Assert.True(mode.Failures.IsEmpty, $"{mode.Name}: failed handshakes ({counts}): {string.Join(" | ", mode.Failures.Take(3))}");
                Assert.True(mode.Reconnects >= 5, $"{mode.Name}: too few reconnects to judge ({counts})");
                Assert.True(mode.Resumed == mode.Reconnects, $"{mode.Name}: reconnects that did not resume on the next node ({counts})");
            }

            Assert.True(rings.Sum(r => r.TicketsRenewed) > 0, $"no ticket of a previous key was offered after a rotation ({counts})");
        }
        finally
        {
            foreach (TlsProfile profile in profiles)
            {
                profile.Dispose();
            }

            foreach (RedisTicketKeyStore? store in keyStores)
            {
                if (store is not null)
                {
                    await store.DisposeAsync();
                }
            }

            foreach (RedisSessionStore? store in sessionStores)
            {
                if (store is not null)
                {
                    await store.DisposeAsync();
                }
            }

            foreach (TlsTicketKeyRing? ring in rings)
            {
                ring?.Dispose();
            }
        }
    }

    private static TlsProfile TicketServer(TlsMethod method, TlsTicketKeyRing ring) =>
        TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method), new TlsTuning { SessionCache = true }, new TlsRuntimeParameters { TicketKeys = ring });

    private static TlsProfile SessionIdServer(TlsSessionStore store) =>
        TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(TlsMethod.TLSv1_2), new TlsTuning { SessionCache = true }, new TlsRuntimeParameters { SessionStore = store });

    /// <summary>
    /// One loop: a full handshake on node n, and the session it gave offered to node n+1 — the phone that reconnects
    /// to another node. Session ids are stored without waiting for Redis, so the loop waits (polled, bounded) until
    /// Redis holds the new one before offering it, as a phone reconnects later than the store's write.
    /// </summary>
    private sealed class Mode(string name, TlsProfile[] servers, TlsProfile client, RedisServerProcess? sessionsIn)
    {
        private int _handshakes;
        private int _reconnects;
        private int _resumed;

        public string Name => name;

        public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();

        public int Reconnects => Volatile.Read(ref _reconnects);

        public int Resumed => Volatile.Read(ref _resumed);

        public void Run(string prefix, CancellationToken stop)
        {
            ConnectionMultiplexer? admin = sessionsIn is null ? null : ConnectionMultiplexer.Connect(sessionsIn.Configuration + ",allowAdmin=true");
            try
            {
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    TlsSession session;
                    try
                    {
                        session = Resumption.FirstSession(servers[i % Nodes], client);
                        Interlocked.Increment(ref _handshakes);
                    }
                    catch (Exception e) when (e is Xunit.Sdk.XunitException or TlsException)
                    {
                        Failures.Enqueue($"new on node {i % Nodes}: {e.Message}");
                        continue;
                    }

                    using (session)
                    {
                        if (admin is not null && !WaitForSessions(admin, prefix, i + 1))
                        {
                            Failures.Enqueue($"session {i + 1} did not reach Redis within 10 s");
                            continue;
                        }

                        try
                        {
                            bool resumed = Resumption.Resumes(servers[(i + 1) % Nodes], client, session);
                            Interlocked.Increment(ref _handshakes);
                            Interlocked.Increment(ref _reconnects);
                            if (resumed)
                            {
                                Interlocked.Increment(ref _resumed);
                            }
                        }
                        catch (Exception e) when (e is Xunit.Sdk.XunitException or TlsException)
                        {
                            Failures.Enqueue($"reconnect on node {(i + 1) % Nodes}: {e.Message}");
                        }
                    }
                }
            }
            finally
            {
                admin?.Dispose();
            }
        }

        public override string ToString() => $"{name}: {_handshakes} handshakes, {_resumed}/{_reconnects} resumed across nodes, {Failures.Count} failed";

        private static bool WaitForSessions(ConnectionMultiplexer admin, string prefix, int count)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                if (((RedisResult[])admin.GetDatabase().Execute("KEYS", prefix + "session:*")!).Length >= count)
                {
                    return true;
                }

                Thread.Sleep(2);
            }

            return false;
        }
    }
}
