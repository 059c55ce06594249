using System.Buffers;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.Interop;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.SipEndpoint;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// What a peer holds before the handshake (issue 15 item 7): a server connection makes no <c>SSL</c> until its first
/// bytes pass the ClientHello gate (handshake record, plausible header, a ClientHello within MaxClientHelloBytes), and
/// <c>serve</c> limits connections per address. Memory figures: docs/reliability.md §8, bench/prehandshake-rss.py.
/// </summary>
public sealed class PreHandshakeCostTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    // A 9-byte handshake record declaring a ClientHello of 0x020140 = 131,392 bytes (OpenSSL would reserve it at once).
    private static readonly byte[] s_oversizedHello = [0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x02, 0x01, 0x40];

    [Fact]
    public void A_server_connection_that_received_nothing_has_no_SSL_and_behaves()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        long before = LiveInThisTest(NativeObjectKind.Ssl);
        TlsConnection connection = profile.CreateConnection();

        Assert.Equal(TlsStatus.Ok, connection.Receive([], new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>()).Status);
        Assert.Equal(before, LiveInThisTest(NativeObjectKind.Ssl));
        Assert.False(connection.HasEngine);
        Assert.Equal(TlsConnectionState.Handshaking, connection.State);
        Assert.Null(connection.Info);
        Assert.Null(connection.GetSession());
        Assert.Null(connection.Failure);
        Assert.Equal(TlsStatus.Queued, connection.Send("early"u8, new ArrayBufferWriter<byte>()).Status);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(TlsStatus.Ok, connection.Close(output).Status);
        Assert.Equal(0, output.WrittenCount);
        Assert.Equal(TlsConnectionState.Closed, connection.State);
        connection.Dispose();
        connection.Dispose();
        Assert.Equal(before, LiveInThisTest(NativeObjectKind.Ssl));
    }

    [Fact]
    public void A_connection_waiting_for_its_first_bytes_outlives_its_disposed_profile()
    {
        TlsProfile server = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using var pair = new TlsPair(server, client);
        server.Dispose();

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message);
    }

    [Fact]
    public async Task An_accepted_connection_that_sends_nothing_makes_no_SSL()
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await using ServerTestHost host = ServerTestHost.Start(options: new SipTlsServerOptions { HandshakeTimeout = Timeout });
        long before = LiveInThisTest(NativeObjectKind.Ssl);
        using (Socket silent = LoopbackTcp.Connect(host.Port, Timeout))
        {
            Assert.True(SpinWait.SpinUntil(() => host.Server.ConnectionCount == 1, Timeout), "the server did not accept");
            await Task.Delay(200, cancel.Token);
            Assert.Equal(before, LiveInThisTest(NativeObjectKind.Ssl));

            // The same server makes an SSL as soon as a ClientHello arrives (the client's own SSL counts too).
            await using SipTlsClient client = await host.ConnectAsync(cancel.Token);
            Assert.Equal(before + 2, LiveInThisTest(NativeObjectKind.Ssl));
        }
    }

    [Fact]
    public void An_oversized_declared_ClientHello_is_refused_without_an_SSL()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        long before = LiveInThisTest(NativeObjectKind.Ssl);
        using TlsConnection connection = profile.CreateConnection();

        TlsResult result = connection.Receive(s_oversizedHello, new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());

        Assert.Equal(TlsStatus.Failed, result.Status);
        Assert.Equal(TlsConnectionState.Failed, connection.State);
        var error = Assert.IsType<TlsClientHelloRejectedException>(connection.Failure);
        Assert.Contains("131392 bytes, more than MaxClientHelloBytes (16384)", error.Message, StringComparison.Ordinal);
        Assert.False(connection.HasEngine);
        Assert.Equal(before, LiveInThisTest(NativeObjectKind.Ssl));
        Assert.Equal(TlsStatus.Failed, connection.Receive(s_oversizedHello, new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>()).Status);
    }

    [Theory]
    [InlineData(16384, 16384, true)]
    [InlineData(16384, 16385, false)]
    [InlineData(512, 513, false)]
    [InlineData(1024, 600, true)]
    public void The_ClientHello_bound_comes_from_the_tuning(int bound, int declared, bool accepted)
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), new TlsTuning { MaxClientHelloBytes = bound });
        using TlsConnection connection = profile.CreateConnection();
        byte[] header = [0x16, 0x03, 0x01, 0x40, 0x00, 0x01, (byte)(declared >> 16), (byte)(declared >> 8), (byte)declared];

        TlsResult result = connection.Receive(header, new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());

        Assert.Equal(accepted, connection.HasEngine);
        Assert.Equal(accepted ? TlsStatus.Ok : TlsStatus.Failed, result.Status);
        if (!accepted)
        {
            Assert.IsType<TlsClientHelloRejectedException>(connection.Failure);
        }
    }

    [Fact]
    public void The_bound_is_validated()
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), new TlsTuning { MaxClientHelloBytes = 100 }));
        Assert.Contains("max_client_hello_bytes must be 512..16777215, not 100", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("17 03 03 00 10", "not a handshake record (content type 23)")]
    [InlineData("15 03 03 00 02 02 28", "not a handshake record (content type 21)")]
    [InlineData("47 45 54 20 2f 20 48 54 54 50", "not a TLS record (0x47 0x45")]
    [InlineData("80 2e 01 03 01", "not a TLS record (0x80 0x2e")]
    [InlineData("16 02 00 00 10", "version 0x0200")]
    [InlineData("16 03 05 00 10", "version 0x0305")]
    [InlineData("16 03 01 00 00", "declares 0 bytes")]
    [InlineData("16 03 01 48 01", "declares 18433 bytes")]
    [InlineData("16 03 03 00 04 02 00 00 46", "not a ClientHello (type 2)")]
    [InlineData("16 03 01 00 01 01 16 03 01 00 01 ff 16 03 01 00 01 00 16 03 01 00 01 00", "declares 16711680 bytes")]
    public void A_first_record_that_is_not_a_plausible_ClientHello_is_refused(string hex, string reason)
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        long before = LiveInThisTest(NativeObjectKind.Ssl);
        using TlsConnection connection = profile.CreateConnection();
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

        // Byte by byte: the verdict waits for the bytes it needs, then comes at once.
        TlsResult result = default;
        foreach (byte b in bytes)
        {
            result = connection.Receive([b], new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());
            if (result.Status == TlsStatus.Failed)
            {
                break;
            }
        }

        Assert.Equal(TlsStatus.Failed, result.Status);
        var error = Assert.IsType<TlsClientHelloRejectedException>(connection.Failure);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.False(connection.HasEngine);
        Assert.Equal(before, LiveInThisTest(NativeObjectKind.Ssl));
    }

    [Theory]
    [InlineData(TlsMethod.TLSv1_2)]
    [InlineData(TlsMethod.TLSv1_3)]
    public void A_ClientHello_fed_byte_by_byte_handshakes(TlsMethod method)
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method));
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));
        using TlsConnection serverConnection = server.CreateConnection();
        using TlsConnection clientConnection = client.CreateConnection();
        var flight = new ArrayBufferWriter<byte>();
        clientConnection.Start(flight);

        var toClient = new ArrayBufferWriter<byte>();
        for (int i = 0; i < flight.WrittenCount; i++)
        {
            // The SSL is made once the record header and the handshake header (9 bytes) are in, not before.
            Assert.Equal(i >= 9, serverConnection.HasEngine);
            TlsResult result = serverConnection.Receive(flight.WrittenSpan.Slice(i, 1), new ArrayBufferWriter<byte>(), toClient);
            Assert.True(result.Status == TlsStatus.Ok, serverConnection.Failure?.Message);
        }

        Complete(serverConnection, clientConnection, toClient);
    }

    [Theory]
    [InlineData(TlsMethod.TLSv1_2, 1)]
    [InlineData(TlsMethod.TLSv1_3, 1)]
    [InlineData(TlsMethod.TLSv1_3, 3)]
    [InlineData(TlsMethod.TLSv1_2, 100)]
    public void A_ClientHello_split_over_small_records_and_fed_byte_by_byte_handshakes(TlsMethod method, int fragment)
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method));
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));
        using TlsConnection serverConnection = server.CreateConnection();
        using TlsConnection clientConnection = client.CreateConnection();
        var flight = new ArrayBufferWriter<byte>();
        clientConnection.Start(flight);
        byte[] refragmented = Refragment(flight.WrittenSpan.ToArray(), fragment);

        var toClient = new ArrayBufferWriter<byte>();
        foreach (byte b in refragmented)
        {
            TlsResult result = serverConnection.Receive([b], new ArrayBufferWriter<byte>(), toClient);
            Assert.True(result.Status == TlsStatus.Ok, serverConnection.Failure?.Message);
        }

        Assert.True(toClient.WrittenCount > 0, "no ServerHello after the refragmented ClientHello");
        Complete(serverConnection, clientConnection, toClient);
    }

    [Fact]
    public async Task Serve_closes_a_connection_declaring_an_oversized_ClientHello_at_once()
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await using ServerTestHost host = ServerTestHost.Start(options: new SipTlsServerOptions { HandshakeTimeout = Timeout });
        using Socket attacker = LoopbackTcp.Connect(host.Port, Timeout);
        await attacker.SendAsync(s_oversizedHello, SocketFlags.None, cancel.Token);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, await attacker.ReceiveAsync(new byte[16], SocketFlags.None, cancel.Token));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"closed only after {started.Elapsed}");
        Assert.True(await host.WaitForLogAsync("more than MaxClientHelloBytes", Timeout), host.LogText);
    }

    [Fact]
    public async Task The_per_address_limit_refuses_the_next_connection_from_one_address_only()
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await using ServerTestHost host = ServerTestHost.Start(options: new SipTlsServerOptions { HandshakeTimeout = Timeout, MaxConnectionsPerAddress = 3 });
        var first = IPAddress.Parse("127.0.0.1");
        var second = IPAddress.Parse("127.0.0.2");
        var held = new List<Socket>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                held.Add(Connect(first, host.Port));
            }

            Assert.True(SpinWait.SpinUntil(() => host.Server.ConnectionsFrom(first) == 3, Timeout));
            for (int i = 0; i < 3; i++)
            {
                using Socket refused = Connect(first, host.Port);
                Assert.Equal(0, await refused.ReceiveAsync(new byte[16], SocketFlags.None, cancel.Token));
            }

            Assert.Equal(3, host.Server.ConnectionsFrom(first));

            // Another address of the same host is counted apart, and completes a handshake while the first is full.
            using Socket other = Connect(second, host.Port);
            Assert.True(SpinWait.SpinUntil(() => host.Server.ConnectionsFrom(second) == 1, Timeout));
            using (var peer = new SocketTlsPeer(Connect(second, host.Port), host.ClientProfile().CreateConnection("localhost")))
            {
                Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message);
                peer.Send(SipRequests.Options(1));
                Assert.True(peer.WaitForText("SIP/2.0 200 OK", Timeout), peer.Text);
            }

            // One refusal line per interval, counting the refusals.
            string log = host.LogText;
            Assert.Single(log.Split(Environment.NewLine), line => line.Contains("refusing connections from 127.0.0.1", StringComparison.Ordinal));
            Assert.Contains("already 3 from that address (MaxConnectionsPerAddress; 1 refused", log, StringComparison.Ordinal);

            // A freed slot is taken again.
            held[0].Dispose();
            Assert.True(SpinWait.SpinUntil(() => host.Server.ConnectionsFrom(first) == 2, Timeout));
            held[0] = Connect(first, host.Port);
            Assert.True(SpinWait.SpinUntil(() => host.Server.ConnectionsFrom(first) == 3, Timeout));
        }
        finally
        {
            held.ForEach(socket => socket.Dispose());
        }
    }

    [Fact]
    public void Serve_parses_the_two_options()
    {
        ServeSettings defaults = ServeSettings.Parse([]);
        Assert.Equal(256, defaults.MaxConnectionsPerAddress);
        Assert.Null(defaults.MaxClientHelloBytes);
        ServeSettings set = ServeSettings.Parse(["--max-connections-per-address", "0", "--max-client-hello-bytes", "4096"]);
        Assert.Equal(0, set.MaxConnectionsPerAddress);
        Assert.Equal(4096, set.MaxClientHelloBytes);
        Assert.Throws<CommandLineException>(() => ServeSettings.Parse(["--max-connections-per-address", "-1"]));
        Assert.Throws<CommandLineException>(() => ServeSettings.Parse(["--max-client-hello-bytes", "100"]));
    }

    /// <summary>Carries the rest of a handshake whose first server flight is in <paramref name="toClient"/>.</summary>
    private static void Complete(TlsConnection server, TlsConnection client, ArrayBufferWriter<byte> toClient)
    {
        var toServer = new ArrayBufferWriter<byte>();
        for (int round = 0; round < 10 && (toClient.WrittenCount > 0 || toServer.WrittenCount > 0); round++)
        {
            if (toClient.WrittenCount > 0)
            {
                byte[] data = toClient.WrittenSpan.ToArray();
                toClient.ResetWrittenCount();
                client.Receive(data, new ArrayBufferWriter<byte>(), toServer);
            }

            if (toServer.WrittenCount > 0)
            {
                byte[] data = toServer.WrittenSpan.ToArray();
                toServer.ResetWrittenCount();
                server.Receive(data, new ArrayBufferWriter<byte>(), toClient);
            }
        }

        Assert.True(server.State == TlsConnectionState.Established, server.Failure?.Message ?? server.State.ToString());
        Assert.True(client.State == TlsConnectionState.Established, client.Failure?.Message ?? client.State.ToString());
    }

    private static Socket Connect(IPAddress local, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(local, 0));
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    /// <summary>The handshake records of <paramref name="flight"/> re-cut into records of at most <paramref name="fragment"/> bytes.</summary>
    private static byte[] Refragment(byte[] flight, int fragment)
    {
        var output = new List<byte>();
        for (int at = 0; at < flight.Length;)
        {
            int length = (flight[at + 3] << 8) | flight[at + 4];
            ReadOnlySpan<byte> payload = flight.AsSpan(at + 5, length);
            for (int offset = 0; offset < payload.Length; offset += fragment)
            {
                int piece = Math.Min(fragment, payload.Length - offset);
                output.AddRange([flight[at], flight[at + 1], flight[at + 2], (byte)(piece >> 8), (byte)piece]);
                output.AddRange(payload.Slice(offset, piece).ToArray());
            }

            at += 5 + length;
        }

        return [.. output];
    }
}
