using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// The bound on handshakes in progress (<see cref="HandshakeAdmission"/>, <c>--max-handshakes-in-progress</c>): at the
/// bound new connections wait, accepted, with their handshake not started; a completed or ended handshake lets the next in; a peer that
/// sends nothing holds its slot for a fifth of the slot time, and one that sends a ClientHello and stalls for the slot time.
/// </summary>
public sealed class HandshakeAdmissionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_slotTime = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task Slots_are_released_once_expire_oldest_first_and_a_waiter_wakes_on_a_release()
    {
        long now = 0;
        var admission = new HandshakeAdmission(2, TimeSpan.FromSeconds(5), () => now);

        // Silent so far: a slot counts for a fifth of the slot time only.
        HandshakeAdmission.Slot silent = admission.Enter()!;
        Assert.Equal(1, admission.Held);
        now += Stopwatch.Frequency;
        Assert.Equal(0, admission.Held);
        Assert.Equal(1, admission.Expired);
        silent.Release();
        Assert.Equal(0, admission.Held);

        // Under way (first bytes received): the whole slot time from then.
        HandshakeAdmission.Slot first = admission.Started(admission.Enter())!;
        Assert.Equal(1, admission.Held);
        now += Stopwatch.Frequency;
        HandshakeAdmission.Slot second = admission.Started(admission.Enter())!;
        Assert.Equal(2, admission.Held);
        Assert.False(admission.HasRoom);

        ValueTask<bool> waiting = admission.WaitForRoomAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        second.Release();
        Assert.True(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        second.Release(); // twice: nothing more
        Assert.Equal(1, admission.Held);

        // The first counts for five seconds after its entry, then no more; releasing it afterwards changes nothing.
        HandshakeAdmission.Slot third = admission.Started(admission.Enter())!;
        Assert.False(admission.HasRoom);
        now += 4 * Stopwatch.Frequency;
        Assert.Equal(1, admission.Held);
        Assert.Equal(2, admission.Expired);
        first.Release();
        Assert.Equal(1, admission.Held);
        third.Release();
        Assert.Equal(0, admission.Held);
        Assert.False(await admission.WaitForRoomAsync(CancellationToken.None));

        var unbounded = new HandshakeAdmission(0, TimeSpan.FromSeconds(5));
        Assert.Null(unbounded.Enter());
        Assert.True(unbounded.HasRoom);
    }

    [Fact]
    public async Task At_the_bound_new_connections_wait_until_a_handshake_ends_silent_peers_hold_a_slot_briefly_and_stalled_ones_only_for_the_slot_time()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using ServerTestHost host = ServerTestHost.Start(options: new SipTlsServerOptions
        {
            MaxConnectionsPerAddress = 0,
            MaxHandshakesInProgress = 2,
            HandshakeSlotTime = s_slotTime,
            HandshakeTimeout = TimeSpan.FromSeconds(60),
        });
        TlsProfile clientProfile = host.ClientProfile();
        var peers = new List<Socket>();
        try
        {
            // Peers that connect and send nothing hold a slot for the silent time only (a fifth of the slot time): all
            // three are accepted, and then a good client gets in.
            for (int i = 0; i < 3; i++)
            {
                peers.Add(Connect(host.Endpoint));
            }

            Assert.True(await WaitUntilAsync(() => host.Server.ConnectionCount == 3, TimeSpan.FromSeconds(20)), $"{host.Server.ConnectionCount} of 3 silent peers accepted");
            await using (SipTlsClient early = await host.ConnectAsync(limit.Token, clientProfile))
            {
                // The client is done before the server has read its Finished: the server's slot goes a moment later.
                Assert.True(await WaitUntilAsync(() => host.Server.HandshakesInProgress == 0, TimeSpan.FromSeconds(20)), $"{host.Server.HandshakesInProgress} handshakes in progress");
            }

            // Two peers send a ClientHello and stall: the bound is reached, and the next client waits, not accepted.
            Socket stalledFirst = Stall(host.Endpoint, clientProfile);
            peers.Add(stalledFirst);
            Socket stalledSecond = Stall(host.Endpoint, clientProfile);
            peers.Add(stalledSecond);
            var sinceStalled = Stopwatch.StartNew();
            Assert.True(await WaitUntilAsync(() => host.Server.HandshakesInProgress == 2, TimeSpan.FromSeconds(20)), $"{host.Server.HandshakesInProgress} handshakes in progress");
            Task<SipTlsClient> waiting = host.ConnectAsync(limit.Token, clientProfile);
            await Task.Delay(TimeSpan.FromSeconds(1.5), limit.Token);
            Assert.False(waiting.IsCompleted, "a connection got its handshake while two were in progress at a bound of 2");
            Assert.Equal(2, host.Server.HandshakesInProgress); // accepted, waiting in the server's queue, not started

            // One of them leaves: the waiting client is accepted well before the other's slot time is up.
            stalledFirst.Dispose();
            await using SipTlsClient second = await waiting.WaitAsync(TimeSpan.FromSeconds(30), limit.Token);
            TimeSpan admitted = sinceStalled.Elapsed;
            Assert.True(admitted < s_slotTime, $"admitted {admitted.TotalSeconds:F1} s after the stall, not before the slot time ({s_slotTime.TotalSeconds} s)");
            await AnswersAsync(second, limit.Token);

            // Stalled peers hold their slots only for the slot time: with both slots held again, a client gets in once
            // the older one's time is up, while both stalled connections stay open.
            peers.Add(Stall(host.Endpoint, clientProfile));
            var late = Stopwatch.StartNew();
            await using SipTlsClient third = await host.ConnectAsync(limit.Token, clientProfile).WaitAsync(2.5 * s_slotTime, limit.Token);
            await AnswersAsync(third, limit.Token);
            Assert.True(host.Server.ConnectionCount >= 3 + 2 + 2, $"{host.Server.ConnectionCount} open: the stalled connections were closed, not just uncounted");
            output.WriteLine($"bound 2: a client waited until a stalled peer left ({admitted.TotalSeconds:F2} s after the stall); the next got in after {late.Elapsed.TotalSeconds:F2} s, slot time {s_slotTime.TotalSeconds} s");
        }
        finally
        {
            peers.ForEach(peer => peer.Dispose());
        }
    }

    private static Socket Connect(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(endpoint);
        return socket;
    }

    /// <summary>A peer that sends a real ClientHello and then nothing more.</summary>
    private static Socket Stall(IPEndPoint endpoint, TlsProfile profile)
    {
        using TlsConnection client = profile.CreateConnection("localhost");
        var hello = new ArrayBufferWriter<byte>();
        client.Start(hello);
        Socket socket = Connect(endpoint);
        socket.Send(hello.WrittenSpan);
        return socket;
    }

    private static async Task AnswersAsync(SipTlsClient client, CancellationToken cancellation)
    {
        await client.SendAsync(SipRequests.Options(1), cancellation);
        SipReceivedFrame? reply = await client.ReadFrameAsync(cancellation);
        Assert.True(reply is not null && reply.Text.StartsWith("SIP/2.0 200 ", StringComparison.Ordinal), reply?.Text ?? "the connection closed");
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }
}
