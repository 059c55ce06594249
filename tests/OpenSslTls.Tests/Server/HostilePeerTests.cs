using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenSslTls.Interop;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using Xunit.Abstractions;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// Hostile peers against an in-process <see cref="SipTlsServer"/> (issue #9 item 4): slowloris handshakes, a TLS 1.2
/// renegotiation flood, oversized records, ClientHello garbage, half-open connections (and MaxConnections), clients
/// that never read. In every test a <see cref="GoodClientProbe"/> must keep getting 200 OK to OPTIONS on a kept and on
/// fresh connections while the attack runs; every test is bounded by a cancellation deadline and leak-checked.
/// Sizes come from <see cref="HostileScale"/>: seconds and hundreds of connections by default,
/// <c>OPENSSLTLS_HOSTILE_SCALE=full</c> for minutes and thousands (docs/reliability.md, "Hostile peers against serve").
/// </summary>
// Process-wide: three tests bound the managed heap and resident memory of the test process while under attack, which
// parallel tests would inflate; all seven load the machine and time the server's timeouts.
[Collection(ProcessWideCollection.Name)]
public sealed class HostilePeerTests(ITestOutputHelper output) : NativeLeakCheck
{
    /// <summary>Short, so attacks are reaped many times within one test; long enough for a good handshake on a loaded 2-core machine.</summary>
    private static readonly TimeSpan s_handshakeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How late a timeout may be observed on a machine shared with other builds (more at full scale, where the attack itself loads it).</summary>
    private static readonly TimeSpan s_lateness = HostileScale.Pick(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6));

    /// <summary>The plaintext of a warning (1) no_renegotiation (100) alert.</summary>
    private static readonly byte[] s_noRenegotiationWarning = [1, 100];

    private static readonly TimeSpan s_probeInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A good client's round (OPTIONS on the kept connection, then a fresh handshake and OPTIONS) must finish within this.</summary>
    private static readonly TimeSpan s_roundLimit = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Slowloris_handshakes_are_closed_at_the_handshake_timeout_while_good_clients_are_served()
    {
        int attackers = HostileScale.Pick(200, 2000);
        TimeSpan attack = HostileScale.Pick(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(120));
        TimeSpan drip = TimeSpan.FromMilliseconds(100);
        using var limit = new CancellationTokenSource(attack + TimeSpan.FromSeconds(60));
        await using ServerTestHost host = StartHost(new SipTlsServerOptions { HandshakeTimeout = s_handshakeTimeout });
        byte[] hello = ClientHelloRecord(host.ClientProfile());
        long heapBefore = ManagedHeap();
        long rssBefore = ResidentBytes();
        await using GoodClientProbe probe = await GoodClientProbe.StartAsync(host, s_probeInterval, s_roundLimit);

        var lifetimes = new ConcurrentBag<TimeSpan>();
        var peaks = new Peaks();
        int opened = 0;
        Task attackLoop = Task.Factory.StartNew(
            () =>
            {
                // One byte of a real ClientHello per connection every 100 ms: ~30 s to finish a hello, ten times the timeout.
                var fleet = new List<Attacker>(attackers);
                var clock = Stopwatch.StartNew();
                try
                {
                    for (int i = 0; i < attackers; i++)
                    {
                        fleet.Add(new Attacker(host.Port));
                        opened++;
                    }

                    while (clock.Elapsed < attack && !limit.IsCancellationRequested)
                    {
                        for (int i = 0; i < fleet.Count; i++)
                        {
                            Attacker attacker = fleet[i];
                            if (attacker.ServerClosed())
                            {
                                lifetimes.Add(attacker.Age);
                                attacker.Dispose();
                                fleet[i] = new Attacker(host.Port);
                                opened++;
                                continue;
                            }

                            attacker.Send(hello, 1);
                        }

                        peaks.Sample(host);
                        Thread.Sleep(drip);
                    }
                }
                finally
                {
                    fleet.ForEach(attacker => attacker.Dispose());
                }
            },
            limit.Token,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await attackLoop.WaitAsync(limit.Token);
        ProbeReport probed = await probe.StopAsync();
        Assert.True(await WaitUntilAsync(() => host.Server.ConnectionCount == 0, s_handshakeTimeout + s_lateness), $"{host.Server.ConnectionCount} connections left");
        long heapAfter = ManagedHeap();

        TimeSpan[] reaped = [.. lifetimes.Order()];
        Report(
            $"slowloris ({HostileScale.Name}): {attackers} dripping connections for {attack.TotalSeconds:0} s, {opened} opened, {reaped.Length} closed by the server " +
            $"after {Seconds(reaped.FirstOrDefault())}–{Seconds(reaped.LastOrDefault())} s (handshake timeout {s_handshakeTimeout.TotalSeconds:0} s); {peaks}; " +
            $"before: managed heap {Mib(heapBefore)} MiB, RSS {Mib(rssBefore)} MiB; after: managed heap {Mib(heapAfter)} MiB",
            probed);

        Assert.True(reaped.Length >= attackers, $"only {reaped.Length} of {attackers} slowloris connections were closed during the attack");
        Assert.All(reaped, lifetime => Assert.InRange(lifetime, s_handshakeTimeout * 0.95, s_handshakeTimeout + s_lateness));
        Assert.InRange(peaks.Connections, 1, attackers + 2);
        AssertHeapBounded(heapBefore, peaks.Heap, attackers);
        probed.AssertServed(MinimumRounds(attack), s_roundLimit);
        AssertNoErrors(host);
    }

    [Fact]
    public async Task A_TLS_1_2_renegotiation_flood_is_refused_record_by_record_without_tying_up_the_server()
    {
        int flooders = HostileScale.Pick(4, 16);
        int openSslClients = HostileScale.Pick(2, 10);
        TimeSpan flood = HostileScale.Pick(TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(90));
        const int Burst = 32;
        using var limit = new CancellationTokenSource(flood + TimeSpan.FromSeconds(60));
        await using ServerTestHost host = StartHost(new SipTlsServerOptions { HandshakeTimeout = s_handshakeTimeout });
        TlsProfile tls12 = host.ClientProfile(new TlsProfileSettings { Method = TlsMethod.TLSv1_2, CipherList = Tls12GcmRecords.CipherName });
        await using GoodClientProbe probe = await GoodClientProbe.StartAsync(host, s_probeInterval, s_roundLimit);
        var clock = Stopwatch.StartNew();

        async Task<long> FloodAsync(int index)
        {
            using RawTlsClient raw = await RawTlsClient.ConnectAsync(host.Port, tls12, limit.Token);
            using Tls12GcmRecords records = Tls12GcmRecords.FromSession(raw);

            // The client's own ClientHello message again, as a renegotiating client would send it (encrypted, seq 1, 2, …).
            byte[] renegotiation = raw.ClientHello[5..];
            var incoming = new List<byte>();
            byte[] buffer = new byte[16 * 1024];
            long refused = 0;
            while (clock.Elapsed < flood)
            {
                byte[] burst = [.. Enumerable.Range(0, Burst).SelectMany(_ => records.Seal(22, renegotiation))];
                await raw.SendRawAsync(burst, limit.Token);
                int alerts = 0;
                while (alerts < Burst)
                {
                    while (alerts < Burst && records.TryOpen(incoming, out byte type, out byte[] plaintext))
                    {
                        // Every renegotiation is refused at once with a warning no_renegotiation alert (level 1, description 100).
                        Assert.Equal(21, type);
                        Assert.Equal(s_noRenegotiationWarning, plaintext);
                        alerts++;
                    }

                    if (alerts < Burst)
                    {
                        int count = await raw.Socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
                        Assert.True(count > 0, $"the server closed flooding connection {index} after {refused + alerts} refusals");
                        incoming.AddRange(buffer.AsSpan(0, count));
                    }
                }

                refused += alerts;
            }

            // The refusals changed nothing: the same connection still serves SIP.
            string callId = $"flood-{index}@test";
            await raw.SendRawAsync(records.Seal(23, Encoding.UTF8.GetBytes(SipRequests.Options(1, callId))), limit.Token);
            var reply = new StringBuilder();
            while (!reply.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                if (records.TryOpen(incoming, out byte type, out byte[] plaintext))
                {
                    Assert.Equal(23, type);
                    reply.Append(Encoding.UTF8.GetString(plaintext));
                    continue;
                }

                int count = await raw.Socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
                Assert.True(count > 0, $"the server closed flooding connection {index} before answering");
                incoming.AddRange(buffer.AsSpan(0, count));
            }

            Assert.StartsWith("SIP/2.0 200 OK\r\n", reply.ToString(), StringComparison.Ordinal);
            Assert.Contains($"\r\nCall-ID: {callId}\r\n", reply.ToString(), StringComparison.Ordinal);
            return refused;
        }

        int OpenSslRenegotiators()
        {
            // A real OpenSSL client treats the refusal as fatal (it asked for a reason), so it gets one try per connection.
            int refusedClients = 0;
            for (int i = 0; i < openSslClients; i++)
            {
                using OpenSslProcess client = OpenSslProcess.StartClient(host.Port, "-tls1_2");
                Assert.True(client.WaitForOutput(OpenSslOutput.ClientTls12, OpenSslProcess.DefaultTimeout), client.Output);
                client.WriteLine("R");
                Assert.True(client.WaitForOutput(OpenSslOutput.ClientRenegotiating, OpenSslProcess.DefaultTimeout), client.Output);
                Assert.True(client.WaitUntil(text => text.Contains("no renegotiation", StringComparison.Ordinal), OpenSslProcess.DefaultTimeout), client.Output);
                refusedClients++;
            }

            return refusedClients;
        }

        Task<long>[] floods = [.. Enumerable.Range(0, flooders).Select(index => Task.Run(() => FloodAsync(index)))];
        Task<int> openSsl = Task.Factory.StartNew(OpenSslRenegotiators, limit.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long[] refusals = await Task.WhenAll(floods).WaitAsync(limit.Token);
        int openSslRefused = await openSsl.WaitAsync(limit.Token);
        TimeSpan elapsed = clock.Elapsed;
        ProbeReport probed = await probe.StopAsync();

        long total = refusals.Sum();
        Report(
            $"renegotiation flood ({HostileScale.Name}): {flooders} connections, {total} renegotiation ClientHellos refused in {Seconds(elapsed)} s " +
            $"({(total / elapsed.TotalSeconds).ToString("0", CultureInfo.InvariantCulture)}/s; per connection {refusals.Min()}–{refusals.Max()}); " +
            $"{openSslRefused} openssl s_client renegotiations refused",
            probed);

        Assert.All(refusals, count => Assert.True(count >= Burst));
        Assert.Equal(openSslClients, openSslRefused);
        probed.AssertServed(MinimumRounds(flood), s_roundLimit);
        AssertNoErrors(host);
    }

    [Fact]
    public async Task Oversized_records_fail_only_their_connection_and_the_largest_legal_records_pass()
    {
        int rounds = HostileScale.Pick(40, 1000);
        const int MaxPlaintext = 16384;
        using var limit = new CancellationTokenSource(HostileScale.Pick(TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(10)));

        // A long handshake timeout, so a connection closed within seconds was closed for its record, not by the timer.
        TimeSpan handshakeTimeout = TimeSpan.FromSeconds(30);
        await using ServerTestHost host = StartHost(new SipTlsServerOptions { HandshakeTimeout = handshakeTimeout });
        TlsProfile tls13 = host.ClientProfile();
        TlsProfile tls12 = host.ClientProfile(new TlsProfileSettings { Method = TlsMethod.TLSv1_2 });
        byte[] hello = ClientHelloRecord(tls13);
        await using GoodClientProbe probe = await GoodClientProbe.StartAsync(host, s_probeInterval, s_roundLimit);
        var clock = Stopwatch.StartNew();
        var closeTimes = new ConcurrentBag<TimeSpan>();
        var alerts = new ConcurrentDictionary<string, int>();

        async Task ExpectClosedAsync(string name, Socket socket, byte[] bytes)
        {
            await SendAllAsync(socket, bytes, limit.Token);
            CloseObservation seen = await ObserveCloseAsync(socket, TimeSpan.FromSeconds(10));
            Assert.True(seen.Closed, $"{name}: the server kept the connection open");
            Assert.True(seen.Elapsed < handshakeTimeout / 2, $"{name}: closed only after {Seconds(seen.Elapsed)} s");
            closeTimes.Add(seen.Elapsed);
            alerts.AddOrUpdate(name + ": " + seen.Describe(), 1, (_, count) => count + 1);
        }

        async Task RoundAsync(int round)
        {
            // Before the handshake: a header claiming 64 KiB, one claiming 2^14 + 2048 + 1 (past TLS 1.2's ciphertext
            // limit), and a real ClientHello padded to a 2^14 + 1 plaintext record.
            using (Socket socket = Connect(host.Port))
            {
                await ExpectClosedAsync("plaintext header, length 65535", socket, [22, 3, 1, 0xFF, 0xFF]);
            }

            using (Socket socket = Connect(host.Port))
            {
                await ExpectClosedAsync("plaintext header, length 18433", socket, [22, 3, 1, 18433 >> 8, 18433 & 0xFF]);
            }

            using (Socket socket = Connect(host.Port))
            {
                await ExpectClosedAsync("ClientHello in a 16385-byte record", socket, PaddedClientHello(hello, MaxPlaintext + 1));
            }

            // The largest legal plaintext record: the padded ClientHello in exactly 2^14 bytes gets a ServerHello.
            using (Socket socket = Connect(host.Port))
            {
                await SendAllAsync(socket, PaddedClientHello(hello, MaxPlaintext), limit.Token);
                byte[] head = await ReceiveAtLeastAsync(socket, 6, limit.Token);
                Assert.True(head[0] == 22 && head[5] == 2, $"no ServerHello for a 16384-byte ClientHello record: {Convert.ToHexString(head)}");
            }

            // Established: headers past TLS 1.3's 2^14 + 256 and TLS 1.2's 2^14 + 2048 ciphertext limits.
            using (RawTlsClient raw = await RawTlsClient.ConnectAsync(host.Port, tls13, limit.Token))
            {
                await ExpectClosedAsync("TLS 1.3 record, length 16641", raw.Socket, [23, 3, 3, 16641 >> 8, 16641 & 0xFF]);
            }

            using (RawTlsClient raw = await RawTlsClient.ConnectAsync(host.Port, tls12, limit.Token))
            {
                await ExpectClosedAsync("TLS 1.2 record, length 18433", raw.Socket, [23, 3, 3, 18433 >> 8, 18433 & 0xFF]);
            }

            // Established, largest legal records: a request whose first record carries exactly 2^14 plaintext bytes.
            foreach (TlsProfile profile in (TlsProfile[])[tls13, tls12])
            {
                await using SipTlsClient client = await host.ConnectAsync(limit.Token, profile);
                string callId = $"big-{round}@test";
                await client.SendAsync(SipRequests.Options(1, callId, body: new string('v', 20000)), limit.Token);
                SipReceivedFrame? reply = await client.ReadFrameAsync(limit.Token);
                Assert.NotNull(reply);
                Assert.StartsWith("SIP/2.0 200 OK\r\n", reply.Text, StringComparison.Ordinal);
                Assert.Contains($"\r\nCall-ID: {callId}\r\n", reply.Text, StringComparison.Ordinal);
            }
        }

        // A few rounds at once, so oversized records arrive while other connections are mid-flight.
        using var concurrency = new SemaphoreSlim(4);
        await Task.WhenAll(Enumerable.Range(0, rounds).Select(async round =>
        {
            await concurrency.WaitAsync(limit.Token);
            try
            {
                await RoundAsync(round);
            }
            finally
            {
                concurrency.Release();
            }
        })).WaitAsync(limit.Token);
        TimeSpan elapsed = clock.Elapsed;
        ProbeReport probed = await probe.StopAsync();

        TimeSpan[] times = [.. closeTimes.Order()];
        Report(
            $"oversized records ({HostileScale.Name}): {rounds} rounds of 6 oversized and 3 maximal records in {Seconds(elapsed)} s; " +
            $"oversized connections closed after {Seconds(times[0])}–{Seconds(times[^1])} s; what came back: " +
            string.Join("; ", alerts.OrderBy(entry => entry.Key, StringComparer.Ordinal).Select(entry => $"{entry.Key} ×{entry.Value}")),
            probed);

        probed.AssertServed(MinimumRounds(elapsed), s_roundLimit);
        Assert.True(await WaitUntilAsync(() => host.Server.ConnectionCount == 0, s_lateness), $"{host.Server.ConnectionCount} connections left");
        AssertNoErrors(host);
    }

    [Fact]
    public async Task ClientHello_garbage_from_many_connections_closes_each_of_them_and_nothing_else()
    {
        int connections = HostileScale.Pick(400, 10000);
        int parallel = HostileScale.Pick(50, 200);
        using var limit = new CancellationTokenSource(HostileScale.Pick(TimeSpan.FromSeconds(120), TimeSpan.FromMinutes(15)));
        await using ServerTestHost host = StartHost(new SipTlsServerOptions { HandshakeTimeout = s_handshakeTimeout });
        byte[] hello = ClientHelloRecord(host.ClientProfile());
        byte[] sip = Encoding.ASCII.GetBytes(SipRequests.Options(1));
        await using GoodClientProbe probe = await GoodClientProbe.StartAsync(host, s_probeInterval, s_roundLimit);
        var clock = Stopwatch.StartNew();
        var outcomes = new ConcurrentDictionary<string, int>();
        var slowest = new ConcurrentDictionary<string, TimeSpan>();

        async Task AttackAsync(int index)
        {
            var random = new Random(index);
            string kind;
            byte[] bytes;
            bool sendFin = true;
            bool reset = false;
            switch (index % 9)
            {
                case 0:
                    kind = "random bytes";
                    bytes = RandomBytes(random, random.Next(1, 2048));
                    break;
                case 1:
                    kind = "random body behind a handshake record header";
                    byte[] body = RandomBytes(random, random.Next(1, 2048));
                    bytes = [22, 3, 1, (byte)(body.Length >> 8), (byte)body.Length, .. body];
                    break;
                case 2:
                    kind = "mutated ClientHello";
                    bytes = (byte[])hello.Clone();
                    for (int flips = random.Next(1, 9); flips > 0; flips--)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                    }

                    break;
                case 3:
                    kind = "truncated ClientHello, then silence";
                    bytes = hello[..random.Next(1, hello.Length)];
                    sendFin = false;
                    break;
                case 4:
                    kind = "truncated ClientHello, then FIN";
                    bytes = hello[..random.Next(1, hello.Length)];
                    break;
                case 5:
                    kind = "ClientHello, then garbage";
                    bytes = [.. hello, .. RandomBytes(random, random.Next(1, 512))];
                    break;
                case 6:
                    kind = "SIP in plain text";
                    bytes = sip;
                    break;
                case 7:
                    kind = "SSLv2-style header and random bytes";
                    bytes = [0x80, (byte)random.Next(256), 1, 0, 2, .. RandomBytes(random, random.Next(0, 300))];
                    break;
                default:
                    // Part of a ClientHello, then an abortive close (RST), often before the server has even accepted.
                    kind = "partial ClientHello, then RST";
                    bytes = hello[..random.Next(0, hello.Length)];
                    reset = true;
                    break;
            }

            using Socket socket = Connect(host.Port);
            if (reset)
            {
                await SendAllAsync(socket, bytes, limit.Token);
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
                outcomes.AddOrUpdate($"{kind}: reset by the client", 1, (_, count) => count + 1);
                return;
            }

            try
            {
                await SendAllAsync(socket, bytes, limit.Token);
                if (sendFin)
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
            }
            catch (SocketException)
            {
                // The server may reset while the garbage is still arriving: that is a close too.
            }

            // Silence is ended by the handshake timeout; everything else by the first bad byte or the FIN.
            TimeSpan allowed = sendFin ? s_lateness : s_handshakeTimeout + s_lateness;
            CloseObservation seen = await ObserveCloseAsync(socket, allowed + TimeSpan.FromSeconds(5));
            Assert.True(seen.Closed, $"{kind} (#{index}): the server kept the connection open");
            Assert.True(seen.Elapsed <= allowed, $"{kind} (#{index}): closed only after {Seconds(seen.Elapsed)} s");
            outcomes.AddOrUpdate($"{kind}: {seen.Describe()}", 1, (_, count) => count + 1);
            slowest.AddOrUpdate(kind, seen.Elapsed, (_, before) => before > seen.Elapsed ? before : seen.Elapsed);
        }

        using var concurrency = new SemaphoreSlim(parallel);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async index =>
        {
            await concurrency.WaitAsync(limit.Token);
            try
            {
                await AttackAsync(index);
            }
            finally
            {
                concurrency.Release();
            }
        })).WaitAsync(limit.Token);
        TimeSpan elapsed = clock.Elapsed;
        ProbeReport probed = await probe.StopAsync();

        Report(
            $"ClientHello garbage ({HostileScale.Name}): {connections} connections, {parallel} at a time, in {Seconds(elapsed)} s; slowest close per kind: " +
            string.Join("; ", slowest.OrderBy(entry => entry.Key, StringComparer.Ordinal).Select(entry => $"{entry.Key} {Seconds(entry.Value)} s")) +
            "; outcomes: " + string.Join("; ", outcomes.OrderBy(entry => entry.Key, StringComparer.Ordinal).Select(entry => $"{entry.Key} ×{entry.Value}")),
            probed);

        probed.AssertServed(MinimumRounds(elapsed), s_roundLimit);
        Assert.True(await WaitUntilAsync(() => host.Server.ConnectionCount == 0, s_lateness), $"{host.Server.ConnectionCount} connections left");
        AssertNoErrors(host);
    }

    [Fact]
    public async Task Thousands_of_half_open_connections_are_reaped_by_the_handshake_timeout_while_good_clients_are_served()
    {
        int halfOpen = HostileScale.Pick(300, 3000);
        int waves = HostileScale.Pick(2, 5);

        // Longer at full scale, so all of a wave is open at once before the first of it is reaped.
        TimeSpan handshakeTimeout = HostileScale.Pick(s_handshakeTimeout, TimeSpan.FromSeconds(10));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60) + (waves * (handshakeTimeout + s_lateness + TimeSpan.FromSeconds(30))));
        await using ServerTestHost host = StartHost(new SipTlsServerOptions { HandshakeTimeout = handshakeTimeout });
        byte[] hello = ClientHelloRecord(host.ClientProfile());
        long heapBefore = ManagedHeap();
        long rssBefore = ResidentBytes();
        await using GoodClientProbe probe = await GoodClientProbe.StartAsync(host, s_probeInterval, s_roundLimit);
        var clock = Stopwatch.StartNew();
        var peaks = new Peaks();
        var reapTimes = new List<TimeSpan>();
        var openTimes = new List<TimeSpan>();

        await Task.Factory.StartNew(
            () =>
            {
                for (int wave = 0; wave < waves; wave++)
                {
                    // Two thirds connect and say nothing; one third send the first 100 bytes of a ClientHello and stop.
                    var fleet = new List<Attacker>(halfOpen);
                    try
                    {
                        var opening = Stopwatch.StartNew();
                        for (int i = 0; i < halfOpen; i++)
                        {
                            var attacker = new Attacker(host.Port);
                            fleet.Add(attacker);
                            if (i % 3 == 2)
                            {
                                attacker.Send(hello, 100);
                            }
                        }

                        openTimes.Add(opening.Elapsed);
                        peaks.Sample(host);
                        while (fleet.Any(attacker => !attacker.Closed) && !limit.IsCancellationRequested)
                        {
                            foreach (Attacker attacker in fleet.Where(attacker => !attacker.Closed))
                            {
                                if (attacker.ServerClosed())
                                {
                                    reapTimes.Add(attacker.Age);
                                }
                            }

                            peaks.Sample(host);
                            Thread.Sleep(50);
                        }
                    }
                    finally
                    {
                        fleet.ForEach(attacker => attacker.Dispose());
                    }
                }
            },
            limit.Token,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).WaitAsync(limit.Token);
        TimeSpan elapsed = clock.Elapsed;
        ProbeReport probed = await probe.StopAsync();
        Assert.True(await WaitUntilAsync(() => host.Server.ConnectionCount == 0, s_lateness), $"{host.Server.ConnectionCount} connections left");

        TimeSpan[] reaped = [.. reapTimes.Order()];
        Report(
            $"half-open ({HostileScale.Name}): {waves} waves of {halfOpen} connections (1/3 with a partial ClientHello), each wave opened in " +
            $"{string.Join("/", openTimes.Select(Seconds))} s; {reaped.Length} reaped after {Seconds(reaped[0])}–{Seconds(reaped[^1])} s; {peaks}; " +
            $"before: managed heap {Mib(heapBefore)} MiB, RSS {Mib(rssBefore)} MiB; total {Seconds(elapsed)} s",
            probed);

        Assert.Equal(waves * halfOpen, reaped.Length);
        Assert.All(reaped, age => Assert.InRange(age, handshakeTimeout * 0.95, handshakeTimeout + s_lateness));
        Assert.InRange(peaks.Connections, halfOpen, halfOpen + 2);
        AssertHeapBounded(heapBefore, peaks.Heap, halfOpen);
        probed.AssertServed(MinimumRounds(elapsed), s_roundLimit);
        AssertNoErrors(host);
    }

    [Fact]
    public async Task At_MaxConnections_new_connections_are_refused_at_once_until_the_handshake_timeout_frees_room()
    {
        int max = HostileScale.Pick(100, 1000);
        const int Extra = 20;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        // Long enough that filling the slots and checking the refusals never outlasts it on a loaded machine.
        TimeSpan handshakeTimeout = TimeSpan.FromSeconds(8);
        await using ServerTestHost host = StartHost(new SipTlsServerOptions { HandshakeTimeout = handshakeTimeout, MaxConnections = max });
        TlsProfile clientProfile = host.ClientProfile();

        // The good client's kept connection exists before the flood: it takes one of the slots and must stay served.
        await using SipTlsClient kept = await host.ConnectAsync(limit.Token, clientProfile);
        await AssertAnswersAsync(kept, 1, "kept", limit.Token);
        var fleet = new List<Attacker>();
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < max - 1; i++)
            {
                fleet.Add(new Attacker(host.Port));
            }

            Assert.True(await WaitUntilAsync(() => host.Server.ConnectionCount == max, s_lateness), $"{host.Server.ConnectionCount} of {max} connections");
            TimeSpan filled = clock.Elapsed;

            // Beyond the limit each connection is closed right after accept, long before any handshake timeout.
            var refusedAfter = new List<TimeSpan>();
            for (int i = 0; i < Extra; i++)
            {
                using var extra = new Attacker(host.Port);
                Assert.True(await WaitUntilAsync(extra.ServerClosed, s_lateness), "a connection beyond MaxConnections stayed open");
                refusedAfter.Add(extra.Age);
                Assert.InRange(host.Server.ConnectionCount, 0, max);
            }

            await Assert.ThrowsAnyAsync<Exception>(() => host.ConnectAsync(limit.Token, clientProfile));
            await AssertAnswersAsync(kept, 2, "kept", limit.Token);

            // The handshake timeout frees the slots, and a fresh good client gets in again.
            Assert.True(await WaitUntilAsync(() => fleet.All(attacker => attacker.ServerClosed()), handshakeTimeout + s_lateness), "the half-open connections were not reaped");
            TimeSpan reaped = clock.Elapsed;
            await using SipTlsClient fresh = await host.ConnectAsync(limit.Token, clientProfile);
            await AssertAnswersAsync(fresh, 1, "fresh", limit.Token);
            await AssertAnswersAsync(kept, 3, "kept", limit.Token);
            output.WriteLine(
                $"MaxConnections ({HostileScale.Name}): {max} slots filled in {Seconds(filled)} s; {Extra} extra connections closed after " +
                $"{Seconds(refusedAfter.Min())}–{Seconds(refusedAfter.Max())} s; a fresh good client was refused while full, the kept one answered; " +
                $"slots freed and a fresh client served {Seconds(reaped)} s after the flood began");
        }
        finally
        {
            fleet.ForEach(attacker => attacker.Dispose());
        }

        Assert.Contains($"already {max} connections", host.LogText, StringComparison.Ordinal);
        AssertNoErrors(host);
    }

    [Fact]
    public async Task Clients_that_never_read_are_held_by_back_pressure_with_bounded_memory_and_closed_at_the_idle_timeout()
    {
        int readers = HostileScale.Pick(10, 200);

        // Readers flood a wave at a time: 200 TLS floods at once on 2 shared cores starve each other, and a send
        // that is merely slow would pass for one the server refuses to take.
        int wave = HostileScale.Pick(10, 20);
        TimeSpan stallAfter = TimeSpan.FromSeconds(3);

        // Longer than all the waves take, so every reader is held at once before the first is closed.
        int idleSeconds = HostileScale.Pick(20, 180);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(240 + (2 * idleSeconds)));
        var runtime = new TlsRuntimeParameters { ConnectionTimeout = idleSeconds, ConnectionLifetime = idleSeconds };
        await using ServerTestHost host = StartHost(new SipTlsServerOptions { HandshakeTimeout = s_handshakeTimeout }, runtime, LogLevel.Information);
        TlsProfile clientProfile = host.ClientProfile();
        long heapBefore = ManagedHeap();
        long rssBefore = ResidentBytes();
        await using GoodClientProbe probe = await GoodClientProbe.StartAsync(host, s_probeInterval, s_roundLimit);
        var clients = new List<RawTlsClient>();
        var pendingSends = new ConcurrentBag<Task>();
        int IdleClosed() => host.Logs.GetSnapshot().Count(record => record.Message.Contains($"idle for {idleSeconds} s", StringComparison.Ordinal));
        try
        {
            // Small socket buffers on the attacker's side, so the server's replies back up sooner.
            for (int i = 0; i < readers; i++)
            {
                clients.Add(await RawTlsClient.ConnectAsync(host.Port, clientProfile, limit.Token, bufferSize: 4096));
            }

            // Pipelined OPTIONS, 50 per send: the server answers every one, and the answers have nowhere to go.
            byte[] batch = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 50).Select(cseq => SipRequests.Options(cseq, "never-reads@test"))));
            var clock = Stopwatch.StartNew();

            async Task<FloodOutcome> FloodAsync(RawTlsClient raw)
            {
                long sent = 0;
                while (true)
                {
                    Task send = raw.SendTlsAsync(batch, limit.Token);
                    if (await Task.WhenAny(send, Task.Delay(stallAfter, limit.Token)) != send)
                    {
                        pendingSends.Add(send);
                        return new FloodOutcome(Stalled: true, sent, clock.Elapsed - stallAfter, send);
                    }

                    try
                    {
                        await send;
                    }
                    catch (SocketException)
                    {
                        // The server's idle timeout closed the connection while its receive buffer still took our bytes.
                        return new FloodOutcome(Stalled: false, sent, clock.Elapsed, send);
                    }

                    sent += batch.Length;
                    Assert.True(sent < 1L << 30, "a client that never reads was never pushed back");
                }
            }

            var outcomes = new List<FloodOutcome>();
            foreach (RawTlsClient[] group in clients.Chunk(wave))
            {
                outcomes.AddRange(await Task.WhenAll(group.Select(raw => Task.Run(() => FloodAsync(raw)))).WaitAsync(limit.Token));
            }

            TimeSpan lastStall = outcomes.Max(outcome => outcome.At);
            int stalled = outcomes.Count(outcome => outcome.Stalled);

            // Held: every stalled send is still pending (the server takes nothing more), and nothing grows.
            long queuedHeld = runtime.ClearTextQueuedBytes;
            long heapHeld = ManagedHeap();
            long rssHeld = ResidentBytes();
            int connectionsHeld = host.Server.ConnectionCount;
            await Task.Delay(TimeSpan.FromSeconds(1), limit.Token);
            long heapLater = ManagedHeap();
            int stillBlocked = outcomes.Count(outcome => outcome.Stalled && !outcome.Send.IsCompleted);

            // Closed: the idle timeout runs from the last bytes the server read, then up to 2 s to try a goodbye.
            Assert.True(
                await WaitUntilAsync(() => IdleClosed() == readers, TimeSpan.FromSeconds(idleSeconds + 2) + s_lateness),
                $"{IdleClosed()} of {readers} readers closed for idleness {Seconds(clock.Elapsed - lastStall)} s after the last stall");
            TimeSpan closedAfter = clock.Elapsed - lastStall;
            ProbeReport probed = await probe.StopAsync();
            Assert.True(await WaitUntilAsync(() => host.Server.ConnectionCount == 0, s_lateness), $"{host.Server.ConnectionCount} connections left");

            long[] sent = [.. outcomes.Select(outcome => outcome.Sent)];
            Report(
                $"never-reading clients ({HostileScale.Name}): {readers} clients (SO_RCVBUF/SO_SNDBUF 4 KiB), {wave} flooding at a time, pushed {Mib(sent.Min())}–{Mib(sent.Max())} MiB of OPTIONS each; " +
                $"{stalled} saw a send block for {stallAfter.TotalSeconds:0} s ({stillBlocked} still blocked a second after the last), {readers - stalled} were closed by the idle timeout while the kernel still took their bytes; " +
                $"the last one stalled {Seconds(lastStall)} s after the flood began; then: {connectionsHeld} server connections, clear-text queue {queuedHeld} bytes (cap {runtime.ClearTextQueueMax}), " +
                $"managed heap {Mib(heapBefore)} → {Mib(heapHeld)} → {Mib(heapLater)} MiB one second later, RSS {Mib(rssBefore)} → {Mib(rssHeld)} MiB; " +
                $"all {readers} closed for idleness {Seconds(closedAfter)} s after the last stall (tcp_connection_lifetime {idleSeconds} s)",
                probed);

            Assert.True(stillBlocked > readers / 2, $"only {stillBlocked} of {readers} readers stayed blocked");
            Assert.InRange(connectionsHeld, 1, readers + 2);
            Assert.Equal(0, queuedHeld);
            AssertHeapBounded(heapBefore, heapHeld, readers, perConnection: 256 * 1024);
            Assert.True(heapLater - heapHeld < 4L * 1024 * 1024, $"managed heap kept growing while the readers were stalled: {Mib(heapHeld)} → {Mib(heapLater)} MiB");
            probed.AssertServed(MinimumRounds(clock.Elapsed), s_roundLimit);
            AssertNoErrors(host);
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
            foreach (Task send in pendingSends)
            {
                try
                {
                    await send;
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
                {
                    // The send the server never took: it fails once either side has closed.
                }
            }
        }
    }

    /// <summary>
    /// A server logging warnings and above only, unless a test needs more: the host keeps every record, and tens of
    /// thousands of "closed" lines would otherwise dominate the managed heap the tests measure. The floods come from one
    /// loopback address and test the other defences, so the per-address limit (tested in PreHandshakeCostTests) is off.
    /// </summary>
    private static ServerTestHost StartHost(SipTlsServerOptions options, TlsRuntimeParameters? runtime = null, LogLevel logLevel = LogLevel.Warning) =>
        ServerTestHost.Start(runtime: runtime, options: options with { MaxConnectionsPerAddress = 0 }, logLevel: logLevel);

    /// <summary>A real first flight: the ClientHello record a library client of <paramref name="profile"/> sends.</summary>
    private static byte[] ClientHelloRecord(TlsProfile profile)
    {
        using TlsConnection client = profile.CreateConnection("localhost");
        var output = new ArrayBufferWriter<byte>();
        client.Start(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <paramref name="record"/> (one ClientHello record) with its padding extension (RFC 7685) replaced by one that makes
    /// the record carry exactly <paramref name="plaintextLength"/> bytes: a valid hello at the size limit under test.
    /// </summary>
    private static byte[] PaddedClientHello(byte[] record, int plaintextLength)
    {
        ReadOnlySpan<byte> body = record.AsSpan(9);
        int position = 2 + 32;
        position += 1 + body[position];
        position += 2 + ((body[position] << 8) | body[position + 1]);
        position += 1 + body[position];
        var extensions = new List<byte>();
        for (int at = position + 2; at < body.Length;)
        {
            int type = (body[at] << 8) | body[at + 1];
            int length = (body[at + 2] << 8) | body[at + 3];
            if (type != 21)
            {
                extensions.AddRange(body.Slice(at, 4 + length));
            }

            at += 4 + length;
        }

        int bodyLength = plaintextLength - 4;
        int padding = bodyLength - (position + 2) - extensions.Count - 4;
        int extensionsLength = extensions.Count + 4 + padding;
        return
        [
            22, record[1], record[2], (byte)(plaintextLength >> 8), (byte)plaintextLength,
            1, (byte)(bodyLength >> 16), (byte)(bodyLength >> 8), (byte)bodyLength,
            .. body[..position],
            (byte)(extensionsLength >> 8), (byte)extensionsLength,
            .. extensions,
            0, 21, (byte)(padding >> 8), (byte)padding,
            .. new byte[padding],
        ];
    }

    private static Socket Connect(int port) => LoopbackTcp.Connect(port, TimeSpan.FromSeconds(10));

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancellation)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await socket.SendAsync(bytes, SocketFlags.None, cancellation);
            bytes = bytes[sent..];
        }
    }

    private static async Task<byte[]> ReceiveAtLeastAsync(Socket socket, int count, CancellationToken cancellation)
    {
        byte[] buffer = new byte[Math.Max(count, 4096)];
        int total = 0;
        while (total < count)
        {
            int received = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, cancellation);
            if (received == 0)
            {
                break;
            }

            total += received;
        }

        return buffer[..total];
    }

    /// <summary>Reads until the server closes (EOF or reset) or <paramref name="limit"/> passes, keeping the first bytes.</summary>
    private static async Task<CloseObservation> ObserveCloseAsync(Socket socket, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new CancellationTokenSource(limit);
        byte[] buffer = new byte[4096];
        var head = new List<byte>();
        try
        {
            while (true)
            {
                int count = await socket.ReceiveAsync(buffer, SocketFlags.None, timer.Token);
                if (count == 0)
                {
                    return new CloseObservation(true, [.. head], clock.Elapsed);
                }

                head.AddRange(buffer.AsSpan(0, Math.Min(count, 16 - Math.Min(16, head.Count))));
            }
        }
        catch (SocketException)
        {
            return new CloseObservation(true, [.. head], clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            return new CloseObservation(false, [.. head], clock.Elapsed);
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        byte[] bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static async Task AssertAnswersAsync(SipTlsClient client, int cseq, string which, CancellationToken cancellation)
    {
        await client.SendAsync(SipRequests.Options(cseq, $"{which}@test"), cancellation);
        SipReceivedFrame? reply = await client.ReadFrameAsync(cancellation);
        Assert.NotNull(reply);
        Assert.StartsWith("SIP/2.0 200 OK\r\n", reply.Text, StringComparison.Ordinal);
        Assert.Contains($"\r\nCSeq: {cseq} OPTIONS\r\n", reply.Text, StringComparison.Ordinal);
    }

    /// <summary>At least one good round per two seconds of attack (the probe aims at four per second), and at least one.</summary>
    private static int MinimumRounds(TimeSpan attack) => Math.Max(1, (int)(attack.TotalSeconds / 2));

    /// <summary>
    /// The live managed heap may grow by a fixed allowance (the probe, pooled buffers, log records) plus
    /// <paramref name="perConnection"/> bytes per attacking connection; a leak or an unbounded buffer per connection breaks it.
    /// </summary>
    private static void AssertHeapBounded(long before, long peak, int connections, int perConnection = 64 * 1024)
    {
        long allowed = (16L * 1024 * 1024) + ((long)connections * perConnection);
        Assert.True(peak - before < allowed, $"managed heap grew {Mib(peak - before)} MiB for {connections} connections (allowed {Mib(allowed)} MiB)");
    }

    private static void AssertNoErrors(ServerTestHost host) =>
        Assert.DoesNotContain(host.Logs.GetSnapshot(), record => record.Level >= LogLevel.Error);

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return condition();
            }

            await Task.Delay(20);
        }

        return true;
    }

    private static long ManagedHeap() => GC.GetTotalMemory(forceFullCollection: true);

    /// <summary>VmRSS of this process (test runner and server together), in bytes.</summary>
    private static long ResidentBytes()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(text => text.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);

    private void Report(string attack, ProbeReport probed)
    {
        output.WriteLine(attack);
        output.WriteLine(probed.Summary);
    }

    /// <summary>What the server sent before closing: nothing, or the start of a TLS record (a plaintext alert names its description).</summary>
    private readonly record struct CloseObservation(bool Closed, byte[] Head, TimeSpan Elapsed)
    {
        public string Describe() => Head switch
        {
            [] => "closed without a reply",
            [21, _, _, 0, 2, var level, var description, ..] => $"alert {level}/{description}, closed",
            [21, ..] => "encrypted alert, closed",
            [var type, ..] => $"record type {type}, closed",
        };
    }

    /// <summary>How a never-reading client's flood ended: blocked (or closed by the server first), how much it got in, and when.</summary>
    private readonly record struct FloodOutcome(bool Stalled, long Sent, TimeSpan At, Task Send);

    /// <summary>
    /// Highest server connection count, live native SSL count, live managed heap and RSS seen (heap and RSS of the whole
    /// test process). The heap is measured after a full collection, at most every two seconds: without one it mostly
    /// counts the garbage of connections already gone.
    /// </summary>
    private sealed class Peaks
    {
        private static readonly TimeSpan s_heapEvery = TimeSpan.FromSeconds(2);
        private readonly Stopwatch _sinceHeap = Stopwatch.StartNew();
        private bool _heapMeasured;

        public int Connections { get; private set; }

        public long SslObjects { get; private set; }

        public long Heap { get; private set; }

        public long Resident { get; private set; }

        public void Sample(ServerTestHost host)
        {
            Connections = Math.Max(Connections, host.Server.ConnectionCount);
            SslObjects = Math.Max(SslObjects, NativeObjectCounter.Get(NativeObjectKind.Ssl));
            if (!_heapMeasured || _sinceHeap.Elapsed >= s_heapEvery)
            {
                Heap = Math.Max(Heap, GC.GetTotalMemory(forceFullCollection: true));
                _heapMeasured = true;
                _sinceHeap.Restart();
            }

            Resident = Math.Max(Resident, ResidentBytes());
        }

        public override string ToString() =>
            $"peak {Connections} server connections, {SslObjects} live SSL objects, managed heap {Mib(Heap)} MiB, RSS {Mib(Resident)} MiB";
    }

    /// <summary>
    /// One attacking TCP connection driven synchronously from a dedicated thread (so thousands of them cost the server's
    /// thread pool nothing): it writes what it is told and notices, without blocking, when the server has closed.
    /// </summary>
    private sealed class Attacker : IDisposable
    {
        private readonly Socket _socket;
        private readonly Stopwatch _age = Stopwatch.StartNew();
        private int _sent;
        private TimeSpan? _closedAt;

        public Attacker(int port)
        {
            // The age counts from before the connect: the server's timer starts after it, so the age can only be longer.
            _socket = Connect(port);
        }

        /// <summary>Time since starting to connect, or until the server's close was noticed.</summary>
        public TimeSpan Age => _closedAt ?? _age.Elapsed;

        public bool Closed => _closedAt is not null;

        /// <summary>Sends the next <paramref name="count"/> bytes of <paramref name="data"/> (nothing once it is all sent or the socket is gone).</summary>
        public void Send(byte[] data, int count)
        {
            int take = Math.Min(count, data.Length - _sent);
            if (take <= 0 || Closed)
            {
                return;
            }

            try
            {
                _sent += _socket.Send(data, _sent, take, SocketFlags.None);
            }
            catch (SocketException)
            {
                // Reset by the server: ServerClosed notices it next.
            }
        }

        /// <summary>True once the server has closed the connection (EOF or reset); never blocks.</summary>
        public bool ServerClosed()
        {
            if (Closed)
            {
                return true;
            }

            try
            {
                if (!_socket.Poll(0, SelectMode.SelectRead))
                {
                    return false;
                }

                byte[] buffer = new byte[512];
                if (_socket.Receive(buffer) > 0)
                {
                    return false;
                }
            }
            catch (SocketException)
            {
                // A reset is a close.
            }
            catch (ObjectDisposedException)
            {
            }

            _closedAt = _age.Elapsed;
            return true;
        }

        public void Dispose() => _socket.Dispose();
    }
}
