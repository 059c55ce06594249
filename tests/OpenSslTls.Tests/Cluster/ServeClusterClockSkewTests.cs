using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.SipEndpoint;
using OpenSslTls.Tests.Support;
using StackExchange.Redis;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// Real <c>openssltls serve</c> nodes whose wall clocks disagree by hours (libfaketime on the process, monotonic clock
/// untouched) sharing a real Redis: the ticket keys still rotate once per interval (ages come from Redis's
/// <c>TIME</c>), every node keeps the cluster's keys, and tickets resume both ways between a node and one an hour
/// ahead or behind (session ids are not asserted under libfaketime: see the comment in the test). OpenSSL itself judges a session's age on the clock of the node it is offered to
/// (docs/cluster.md, "Clock skew"): a node ahead of the issuer by more than the session lifetime (serve: 7200 s)
/// takes it for expired, a full handshake, never a failed one; that limit is pinned here too.
/// </summary>
public sealed partial class ServeClusterClockSkewTests : IDisposable
{
    private const int RotationSeconds = 4;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("openssltls-skew-").FullName;

    [SkippableFact]
    public async Task Nodes_hours_apart_rotate_once_per_interval_share_keys_and_resume_each_others_sessions()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "libfaketime is a Linux LD_PRELOAD library");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        Skip.If(EndpointProcess.FakeTimeLibrary is null, "libfaketime is not installed (Debian package faketime)");
        using RedisServerProcess redis = RedisServerProcess.Start();
        string keyFile = Path.Combine(_root, "cluster.key");
        File.WriteAllText(keyFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        string modparams = Modparams();
        string[] Node(string name) =>
        [
            "serve", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_root, name), "--modparams", modparams, "--control-socket", Path.Combine(_root, name + ".sock"),
            "--cluster", $"redis://{redis.Configuration}", "--cluster-key-file", keyFile, "--cluster-rotation", RotationSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cluster-lookup-timeout", "2000", // generous: the machine running the tests is loaded
        ];

        // On time, an hour ahead, an hour behind, and three hours ahead (past serve's 7200 s session lifetime).
        using EndpointProcess onTime = EndpointProcess.Start(Node("a"));
        using EndpointProcess ahead = EndpointProcess.StartWithFakeTime("+1h", Node("b"));
        using EndpointProcess behind = EndpointProcess.StartWithFakeTime("-1h", Node("c"));
        using EndpointProcess farAhead = EndpointProcess.StartWithFakeTime("+3h", Node("d"));
        var port = new Dictionary<string, string>();
        foreach ((string name, EndpointProcess node) in new[] { ("a", onTime), ("b", ahead), ("c", behind), ("d", farAhead) })
        {
            port[name] = (await node.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;
        }

        // The rotations, as Redis sees them: each stored key's creation time (Redis TIME, in the entry's clear
        // header). A node that aged keys on its own clock would rotate at every lease (2 s) or never.
        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var created = new SortedSet<long>();
        var watch = Stopwatch.StartNew();
        while (created.Count < 4 && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            foreach (RedisValue entry in await admin.GetDatabase().ListRangeAsync("openssltls:ticket-keys"))
            {
                created.Add(BinaryPrimitives.ReadInt64BigEndian(((byte[])entry!).AsSpan(4, 8)));
            }

            await Task.Delay(100);
        }

        long[] times = [.. created];
        long[] gaps = [.. times.Zip(times.Skip(1), (a, b) => b - a)];
        string rotations = $"key creation gaps {string.Join(", ", gaps)} ms over {watch.Elapsed.TotalSeconds:F1} s";
        Assert.True(times.Length >= 4, $"fewer than 3 rotations seen: {rotations}");
        Assert.All(gaps, gap => Assert.True(gap >= RotationSeconds * 1000 && gap <= 2 * RotationSeconds * 1000, $"a rotation not once per {RotationSeconds} s: {rotations}"));

        // Resumption both ways between the node on time and the nodes an hour off, by ticket. Session ids are left out
        // here: under libfaketime a faked node's StackExchange.Redis client times out (a CI run saw a node an hour
        // behind miss every lookup and store for a minute), which a real skewed clock does not cause: the session store
        // reads no wall clock, and OpenSSL's own age check on the local clock is the limit docs/cluster.md states.
        var outcomes = new List<string>();
        foreach (Mode mode in TicketModes)
        {
            foreach ((string from, string to) in new[] { ("a", "b"), ("b", "a"), ("a", "c"), ("c", "a"), ("d", "a") })
            {
                // Up to three tries: under libfaketime the faked nodes' Redis client times out now and then (seen only
                // on faked nodes, with the 1 s ticket-store timeout and in the session store's back-off), which makes
                // one reconnect a full handshake; every try is in the message.
                var tries = new List<string>();
                for (int attempt = 0; attempt < 3 && (tries.Count == 0 || tries[^1] != "Reused"); attempt++)
                {
                    tries.Add(await Reconnect(mode, port[from], port[to], redis));
                }

                outcomes.Add($"{mode.Name} {from}->{to}: {string.Join(" / ", tries)}");
            }
        }

        string all = string.Join("; ", outcomes) + "; " + rotations;
        string logs = string.Join(Environment.NewLine, new[] { ("a", onTime), ("b", ahead), ("c", behind), ("d", farAhead) }.Select(n => $"--- node {n.Item1}:{Environment.NewLine}{string.Join(Environment.NewLine, n.Item2.Output.Split('\n').Where(l => !l.Contains(" from 127.0.0.1:", StringComparison.Ordinal)).TakeLast(15))}"));
        Assert.True(outcomes.All(outcome => outcome.EndsWith("Reused", StringComparison.Ordinal)), $"{all}{Environment.NewLine}{logs}");

        // The limit OpenSSL sets: offered to a node three hours ahead, a session of the node on time looks older than
        // its lifetime. A full handshake, not a failure.
        foreach (Mode mode in TicketModes)
        {
            string outcome = await Reconnect(mode, port["a"], port["d"], redis);
            Assert.True(outcome == "New", $"{mode.Name} a->d (three hours ahead): {outcome} ({all})");
        }

        foreach (EndpointProcess node in new[] { onTime, ahead, behind, farAhead })
        {
            node.Terminate();
            Assert.Equal(0, node.WaitForExit(s_wait));
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly Mode[] Modes =
    [
        new("TLS 1.3 ticket", ["-tls1_3"], SessionId: false),
        new("TLS 1.2 ticket", ["-tls1_2"], SessionId: false),
        new("TLS 1.2 session id", ["-tls1_2", "-no_ticket"], SessionId: true),
    ];

    private static readonly Mode[] TicketModes = [.. Modes.Where(mode => !mode.SessionId)];

    // A full handshake on one node saving its session (waiting, bounded, until s_client has written it: TLS 1.3
    // tickets come after the handshake), then the session offered to the other. "Reused", "New", or what went wrong.
    private async Task<string> Reconnect(Mode mode, string from, string to, RedisServerProcess redis)
    {
        string session = Path.Combine(_root, $"session-{Guid.NewGuid():N}.pem");
        int storedBefore = mode.SessionId ? await SessionKeys(redis) : 0;
        string first = SClient(from, mode.Arguments, ["-sess_out", session], session);
        if (!first.Contains("New, TLS", StringComparison.Ordinal) || !File.Exists(session))
        {
            return $"first handshake failed or saved nothing: {first}";
        }

        if (mode.SessionId)
        {
            try
            {
                await redis.WaitForKeysAsync("openssltls:session:*", storedBefore + 1); // stored without waiting for Redis
            }
            catch (TimeoutException e)
            {
                return $"the session id was not stored: {e.Message}";
            }
        }

        string second = SClient(to, mode.Arguments, ["-sess_in", session], null);
        return second.Contains("Reused, TLS", StringComparison.Ordinal) ? "Reused"
            : second.Contains("New, TLS", StringComparison.Ordinal) ? "New"
            : $"handshake failed: {second}";
    }

    private static async Task<int> SessionKeys(RedisServerProcess redis)
    {
        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",allowAdmin=true");
        return ((RedisResult[])(await admin.GetDatabase().ExecuteAsync("KEYS", "openssltls:session:*"))!).Length;
    }

    // s_client with its stdin held open until the session file exists (at most 20 s) or, offering one, briefly.
    private static string SClient(string port, string[] mode, string[] session, string? waitFor)
    {
        string hold = waitFor is null
            ? "sleep 0.3"
            : $"for i in $(seq 200); do [ -s '{waitFor}' ] && break; sleep 0.1; done";
        string command = $"({hold}) | '{OpenSslCli.Executable}' s_client -connect 127.0.0.1:{port} -servername localhost {string.Join(' ', mode)} {string.Join(' ', session.Select(a => $"'{a}'"))}";
        (int _, string output, string errors) = ProcessRunner.Run("bash", ["-c", command], s_wait);
        return output + errors;
    }

    private string Modparams()
    {
        string certificate = Path.Combine(_root, "node.pem");
        string key = Path.Combine(_root, "node.key");
        OpenSslCli.RunChecked(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-days", "2", "-keyout", key, "-out", certificate]);
        string path = Path.Combine(_root, "tls.modparams");
        File.WriteAllText(path, $"modparam(\"tls\", \"certificate\", \"{certificate}\")\nmodparam(\"tls\", \"private_key\", \"{key}\")\n");
        return path;
    }

    [GeneratedRegex(@"listening for SIP over TLS on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    private sealed record Mode(string Name, string[] Arguments, bool SessionId);
}
