using System.Net.Sockets;
using System.Text;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Connections;

/// <summary><see cref="TlsStream"/> over real TCP sockets: against itself, and against openssl s_client / s_server.</summary>
public sealed class TlsStreamTests : NativeLeakCheck
{
    /// <summary>Bounds every test: each awaits with a token or a WaitAsync of this length.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static TestPki Pki => TestPki.Instance;

    private static TlsProfileSettings ServerSettings(TlsMethod method = TlsMethod.TLSv1_2Plus) => InMemoryConnectionTests.ServerSettings(method);

    private static TlsProfileSettings ClientSettings(TlsMethod method = TlsMethod.TLSv1_2Plus) => InMemoryConnectionTests.ClientSettings(method);

    [Theory]
    [InlineData(TlsMethod.TLSv1_3, "TLSv1.3")]
    [InlineData(TlsMethod.TLSv1_2, "TLSv1.2")]
    public async Task Streams_handshake_and_carry_sip_messages_both_ways(TlsMethod method, string protocol)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(method));
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings(method));
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        Assert.True(pair.Client.IsAuthenticated && pair.Server.IsAuthenticated);
        Assert.True(pair.Client.CanRead && pair.Client.CanWrite && !pair.Client.CanSeek);
        Assert.Equal(protocol, pair.Client.Connection.Info!.Protocol);
        Assert.Equal(protocol, pair.Server.Connection.Info!.Protocol);
        Assert.True(pair.Client.Connection.Info.PeerVerified);
        Assert.Equal("localhost", pair.Server.Connection.Info.ServerName);

        for (int i = 0; i < 20; i++)
        {
            byte[] request = SipMessage($"INVITE sip:bob@localhost SIP/2.0\r\nCSeq: {i} INVITE\r\n", 1200);
            await pair.Client.WriteAsync(request, cts.Token);
            Assert.Equal(request, await ReadExactlyAsync(pair.Server, request.Length, cts.Token));

            byte[] response = SipMessage($"SIP/2.0 200 OK\r\nCSeq: {i} INVITE\r\n", 600);
            await pair.Server.WriteAsync(response, cts.Token);
            Assert.Equal(response, await ReadExactlyAsync(pair.Client, response.Length, cts.Token));
        }

        // Idle streams give every pooled buffer back.
        Assert.Equal(0, pair.Client.HeldBufferBytes);
        Assert.Equal(0, pair.Server.HeldBufferBytes);
    }

    [Fact]
    public async Task A_megabyte_crosses_both_ways_at_once_with_random_read_and_write_sizes()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);
        byte[] up = RandomBytes(1 << 20, seed: 1);
        byte[] down = RandomBytes(1 << 20, seed: 2);

        // One reader and one writer on each stream at the same time; writes of up to 100 000 bytes cross the
        // stream's 60 KiB encryption chunk, reads of 1 byte to 40 000 bytes cross record boundaries.
        Task<byte[]> serverReceives = ReadRandomlyAsync(pair.Server, up.Length, seed: 3, cts.Token);
        Task<byte[]> clientReceives = ReadRandomlyAsync(pair.Client, down.Length, seed: 4, cts.Token);
        await Task.WhenAll(
            WriteRandomlyAsync(pair.Client, up, seed: 5, cts.Token),
            WriteRandomlyAsync(pair.Server, down, seed: 6, cts.Token),
            serverReceives,
            clientReceives).WaitAsync(Timeout);

        byte[] atServer = await serverReceives;
        byte[] atClient = await clientReceives;
        Assert.True(up.AsSpan().SequenceEqual(atServer), "client -> server data differs");
        Assert.True(down.AsSpan().SequenceEqual(atClient), "server -> client data differs");
        Assert.Equal(0, pair.Client.HeldBufferBytes);
        Assert.Equal(0, pair.Server.HeldBufferBytes);
    }

    [Fact]
    public async Task Plaintext_beyond_the_callers_buffer_is_kept_for_the_next_read()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);
        byte[] message = RandomBytes(10_000, seed: 7);
        await pair.Client.WriteAsync(message, cts.Token);

        byte[] first = new byte[100];
        int read = await pair.Server.ReadAsync(first, cts.Token);

        Assert.Equal(100, read);
        Assert.Equal(9_900, pair.Server.BufferedPlaintextBytes);
        Assert.True(pair.Server.HeldBufferBytes >= 9_900);
        byte[] rest = await ReadExactlyAsync(pair.Server, 9_900, cts.Token);
        Assert.Equal(message, first.Concat(rest).ToArray());
        Assert.Equal(0, pair.Server.BufferedPlaintextBytes);
        Assert.Equal(0, pair.Server.HeldBufferBytes);
    }

    [Fact]
    public async Task A_zero_byte_read_waits_for_data_and_consumes_none_of_it()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        Task<int> waiting = pair.Server.ReadAsync(Memory<byte>.Empty, cts.Token).AsTask();
        await Task.Delay(200, cts.Token);
        Assert.False(waiting.IsCompleted, "a zero-byte read completed with no data sent");
        Assert.Equal(0, pair.Server.HeldBufferBytes);

        await pair.Client.WriteAsync("ping"u8.ToArray(), cts.Token);
        Assert.Equal(0, await waiting.WaitAsync(Timeout, cts.Token));
        Assert.Equal(4, pair.Server.BufferedPlaintextBytes);

        // With plaintext buffered a zero-byte read completes at once, still consuming nothing.
        Assert.Equal(0, await pair.Server.ReadAsync(Memory<byte>.Empty, cts.Token));
        byte[] buffer = new byte[64];
        Assert.Equal(4, await pair.Server.ReadAsync(buffer, cts.Token));
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, 4));

        // A zero-byte write sends nothing and the stream goes on working.
        await pair.Client.WriteAsync(ReadOnlyMemory<byte>.Empty, cts.Token);
        await pair.Client.WriteAsync("pong"u8.ToArray(), cts.Token);
        Assert.Equal("pong", Encoding.ASCII.GetString(await ReadExactlyAsync(pair.Server, 4, cts.Token)));
        Assert.Equal(0, pair.Server.HeldBufferBytes);
    }

    [Fact]
    public async Task Shutdown_sends_close_notify_and_the_peer_then_reads_zero()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings(), runtime: new TlsRuntimeParameters { SendCloseNotify = true });
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        await pair.Client.WriteAsync("BYE sip:bob@localhost SIP/2.0\r\n\r\n"u8.ToArray(), cts.Token);
        await pair.Client.ShutdownAsync(cts.Token);
        await pair.Client.ShutdownAsync(cts.Token); // idempotent

        Assert.Equal("BYE sip:bob@localhost SIP/2.0\r\n\r\n", Encoding.ASCII.GetString(await ReadExactlyAsync(pair.Server, 33, cts.Token)));
        byte[] buffer = new byte[100];
        Assert.Equal(0, await pair.Server.ReadAsync(buffer, cts.Token));
        Assert.Equal(TlsConnectionState.PeerClosed, pair.Server.Connection.State);
        Assert.Equal(0, await pair.Server.ReadAsync(buffer, cts.Token));

        // The connection cannot send after the peer's close_notify; the closed side can neither write nor read more.
        await Assert.ThrowsAsync<IOException>(async () => await pair.Server.WriteAsync("late"u8.ToArray(), cts.Token));
        Assert.False(pair.Client.CanWrite);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pair.Client.WriteAsync("more"u8.ToArray(), cts.Token));
        Assert.Equal(TlsConnectionState.Closed, pair.Client.Connection.State);
        Assert.Equal(0, await pair.Client.ReadAsync(buffer, cts.Token).AsTask().WaitAsync(Timeout, cts.Token));
    }

    [Fact]
    public async Task The_inner_stream_ending_between_records_reads_as_zero_without_close_notify()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        await pair.Client.WriteAsync("last"u8.ToArray(), cts.Token);
        await pair.Client.DisposeAsync(); // closes the socket: TCP FIN, no close_notify (send_close_notify is off)

        Assert.Equal("last", Encoding.ASCII.GetString(await ReadExactlyAsync(pair.Server, 4, cts.Token)));
        Assert.Equal(0, await pair.Server.ReadAsync(new byte[16], cts.Token));
        Assert.Equal(0, await pair.Server.ReadAsync(new byte[16], cts.Token));
        Assert.Equal(TlsConnectionState.Established, pair.Server.Connection.State); // no close_notify came
    }

    [Fact]
    public async Task The_inner_stream_ending_inside_a_record_throws_IOException()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        // Encrypt a record with the client's engine, send only half of it, then end the TCP stream.
        var record = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.Equal(TlsStatus.Ok, pair.Client.Connection.Send(SipMessage("MESSAGE sip:bob@localhost SIP/2.0\r\n", 500), record).Status);
        pair.ClientSocket.Send(record.WrittenSpan[..(record.WrittenCount / 2)]);
        pair.ClientSocket.Shutdown(SocketShutdown.Send);

        var error = await Assert.ThrowsAsync<IOException>(async () => _ = await pair.Server.ReadAsync(new byte[1000], cts.Token));
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(async () => _ = await pair.Server.ReadAsync(new byte[1000], cts.Token));
    }

    [Fact]
    public async Task A_second_concurrent_read_is_refused_while_a_write_may_overlap_the_read()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);
        byte[] buffer = new byte[100];

        Task<int> pending = pair.Server.ReadAsync(buffer, cts.Token).AsTask();
        await Assert.ThrowsAsync<NotSupportedException>(async () => _ = await pair.Server.ReadAsync(new byte[10], cts.Token));
        Assert.False(pending.IsCompleted);

        await pair.Server.WriteAsync("from the server while it reads"u8.ToArray(), cts.Token);
        Assert.Equal("from the server while it reads", Encoding.ASCII.GetString(await ReadExactlyAsync(pair.Client, 30, cts.Token)));

        await pair.Client.WriteAsync("answer"u8.ToArray(), cts.Token);
        Assert.Equal(6, await pending.WaitAsync(Timeout, cts.Token));
        Assert.Equal("answer", Encoding.ASCII.GetString(buffer, 0, 6));
    }

    [Fact]
    public async Task A_read_failing_while_a_write_is_stuck_does_not_wait_and_its_alert_follows_the_data()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        GatedStream? gated = null;
        await using StreamPair pair = await StreamPair.ConnectAsync(
            serverProfile, clientProfile, cts.Token, wrapServer: inner => gated = new GatedStream(inner));

        // The server's write is stuck in the transport (as on a full TCP window) while holding the output.
        gated!.Stall();
        Task write = pair.Server.WriteAsync("data first"u8.ToArray(), cts.Token).AsTask();
        await gated.Entered.WaitAsync(Timeout, cts.Token);

        // A forged application record fails the server's read: the read throws at once instead of waiting for the
        // stuck write (which could wait forever on a peer that is itself waiting), and leaves its alert to the writer.
        pair.ClientSocket.Send([0x17, 0x03, 0x03, 0x00, 0x20, .. new byte[32]]);
        var error = await Assert.ThrowsAsync<IOException>(async () => _ = await pair.Server.ReadAsync(new byte[100], cts.Token));
        Assert.IsType<OpenSslException>(error.InnerException);
        Assert.False(write.IsCompleted);
        await Assert.ThrowsAsync<IOException>(async () => _ = await pair.Server.ReadAsync(new byte[100], cts.Token)); // at once, too

        gated.Resume();
        await write.WaitAsync(Timeout, cts.Token);

        // The client sees the data record, then the alert: the engine's order survived the two senders.
        var plaintext = new System.Buffers.ArrayBufferWriter<byte>();
        var ignored = new System.Buffers.ArrayBufferWriter<byte>();
        byte[] buffer = new byte[4096];
        TlsResult result = default;
        while (result.Status != TlsStatus.Failed)
        {
            int received = await pair.ClientSocket.ReceiveAsync(buffer, cts.Token);
            Assert.True(received > 0, "the server closed without sending its alert");
            result = pair.Client.Connection.Receive(buffer.AsSpan(0, received), plaintext, ignored);
        }

        Assert.Equal("data first", Encoding.ASCII.GetString(plaintext.WrittenSpan));
        Assert.Contains("alert", pair.Client.Connection.Failure!.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_synchronous_api_works_too()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);
        byte[] message = SipMessage("OPTIONS sip:localhost SIP/2.0\r\n", 3000);

        // Blocking calls are bounded by the sockets' 15 s timeouts (LoopbackTcp); the data is sent before it is read.
        pair.Client.Write(message, 0, message.Length);
        pair.Client.Write(" tail"u8);
        pair.Client.WriteByte((byte)'!');
        pair.Client.Flush();

        byte[] received = new byte[message.Length];
        int total = 0;
        while (total < received.Length)
        {
            int read = pair.Server.Read(received, total, Math.Min(700, received.Length - total));
            Assert.True(read > 0, "unexpected end of stream");
            total += read;
        }

        Assert.Equal(message, received);
        Span<byte> tail = stackalloc byte[5];
        pair.Server.ReadExactly(tail);
        Assert.Equal(" tail", Encoding.ASCII.GetString(tail));
        Assert.Equal('!', pair.Server.ReadByte());
    }

    [Fact]
    public async Task The_stream_has_no_length_position_or_seeking_and_needs_authentication_first()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token, authenticate: false);
        TlsStream stream = pair.Client;

        Assert.False(stream.CanRead);
        Assert.False(stream.CanWrite);
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Position);
        Assert.Throws<NotSupportedException>(() => stream.Position = 0);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(0));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => _ = await stream.ReadAsync(new byte[1], cts.Token));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await stream.WriteAsync(new byte[1], cts.Token));

        await Task.WhenAll(pair.Client.AuthenticateAsync(cts.Token), pair.Server.AuthenticateAsync(cts.Token)).WaitAsync(Timeout);
        Assert.True(stream.CanRead);
        Assert.True(stream.CanWrite);
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.AuthenticateAsync(cts.Token));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Disposing_disposes_the_connection_and_the_inner_stream_unless_left_open(bool leaveInnerStreamOpen, bool disposeAsync)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token, leaveInnerStreamOpen: leaveInnerStreamOpen);
        Stream inner = pair.Server.InnerStream;

        if (disposeAsync)
        {
            await pair.Server.DisposeAsync();
        }
        else
        {
            pair.Server.Dispose();
        }

        Assert.Equal(TlsConnectionState.Closed, pair.Server.Connection.State);
        Assert.False(pair.Server.CanRead);
        Assert.Equal(0, pair.Server.HeldBufferBytes);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => _ = await pair.Server.ReadAsync(new byte[1], cts.Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pair.Server.WriteAsync(new byte[1], cts.Token));
        if (leaveInnerStreamOpen)
        {
            Assert.True(inner.CanRead);
            inner.Write("still open"u8);
            await inner.DisposeAsync();
        }
        else
        {
            Assert.False(inner.CanRead);
            Assert.Throws<ObjectDisposedException>(() => inner.Write("closed"u8));
        }
    }

    [Fact]
    public async Task Disposing_during_a_pending_read_ends_the_read_and_returns_its_buffers()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        Task<int> pending = pair.Server.ReadAsync(new byte[100], cts.Token).AsTask();
        await Task.Delay(100, cts.Token);
        await pair.Server.DisposeAsync();

        // The transport may end the pending read with an error or as an end of stream; either way the read reports the disposal.
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => pending.WaitAsync(Timeout, cts.Token));
        Assert.True(error is IOException or ObjectDisposedException, error.ToString());
        Assert.Equal(0, pair.Server.HeldBufferBytes);
        Assert.Equal(TlsConnectionState.Closed, pair.Server.Connection.State);
    }

    [Fact]
    public async Task A_failed_handshake_throws_the_verify_error_after_sending_the_alert()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings() with
        {
            Certificate = Pki.UntrustedServerCertificate,
            PrivateKey = Pki.UntrustedServerKey,
        });
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using StreamPair pair = await StreamPair.ConnectAsync(serverProfile, clientProfile, cts.Token, authenticate: false);

        Task client = pair.Client.AuthenticateAsync(cts.Token);
        Task server = pair.Server.AuthenticateAsync(cts.Token);

        var clientError = await Assert.ThrowsAsync<OpenSslException>(() => client.WaitAsync(Timeout, cts.Token));
        Assert.Contains("certificate verification failed", clientError.Message, StringComparison.Ordinal);
        Assert.Contains("unable to get local issuer certificate", clientError.Message, StringComparison.Ordinal);
        Assert.Same(pair.Client.Connection.Failure, clientError);
        Assert.Equal(TlsConnectionState.Failed, pair.Client.Connection.State);
        Assert.False(pair.Client.IsAuthenticated);

        // The server fails on the client's alert, which proves the alert went out before the client threw.
        var serverError = await Assert.ThrowsAsync<OpenSslException>(() => server.WaitAsync(Timeout, cts.Token));
        Assert.Contains("unknown ca", serverError.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => _ = await pair.Client.ReadAsync(new byte[1], cts.Token));
    }

    [Fact]
    public async Task A_server_stream_talks_to_openssl_s_client()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(), runtime: new TlsRuntimeParameters { SendCloseNotify = true });
        (Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        {
            // -quiet: no session summary, received data only (and it implies -ign_eof, so stdin lines are never commands).
            using OpenSslProcess client = OpenSslProcess.StartClient(port, "-CAfile", Pki.RootCaCertificate, "-verify_return_error", "-quiet");
            await using var server = new TlsStream(new NetworkStream(LoopbackTcp.Accept(listener, Timeout), ownsSocket: true), serverProfile.CreateConnection());

            await server.AuthenticateAsync(cts.Token);
            client.WriteLine("OPTIONS sip:localhost SIP/2.0");
            Assert.Equal("OPTIONS sip:localhost SIP/2.0", await ReadLineAsync(server, cts.Token));
            await server.WriteAsync("SIP/2.0 200 OK\n"u8.ToArray(), cts.Token);
            client.ExpectOutput("SIP/2.0 200 OK", Timeout);

            // close_notify ends s_client, which otherwise ignores stdin EOF under -quiet.
            await server.ShutdownAsync(cts.Token);
            client.WaitForExit(Timeout);
            Assert.Equal("TLSv1.3", server.Connection.Info!.Protocol);
        }
    }

    [Fact]
    public async Task A_key_update_requested_by_s_client_is_answered_and_data_keeps_flowing()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(TlsMethod.TLSv1_3));
        (Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        {
            // Without -quiet s_client takes commands: "K" sends a KeyUpdate that requests one back.
            using OpenSslProcess client = OpenSslProcess.StartClient(port, "-CAfile", Pki.RootCaCertificate, "-verify_return_error");
            await using var server = new TlsStream(new NetworkStream(LoopbackTcp.Accept(listener, Timeout), ownsSocket: true), serverProfile.CreateConnection());
            await server.AuthenticateAsync(cts.Token);

            client.WriteLine("K");
            client.ExpectOutput(OpenSslOutput.ClientKeyUpdate, Timeout);
            client.WriteLine("after the key update");
            Assert.Equal("after the key update", await ReadLineAsync(server, cts.Token));

            // OpenSSL sends the requested KeyUpdate ahead of the next record; s_client must decrypt this after it.
            await server.WriteAsync("reply under new keys\n"u8.ToArray(), cts.Token);
            client.ExpectOutput("reply under new keys", Timeout);
        }
    }

    [Fact]
    public async Task A_renegotiation_by_s_client_is_answered_from_the_read_path()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(TlsMethod.TLSv1_2), new TlsTuning { Renegotiation = true });
        (Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        {
            using OpenSslProcess client = OpenSslProcess.StartClient(port, "-CAfile", Pki.RootCaCertificate, "-verify_return_error", "-tls1_2");
            await using var server = new TlsStream(new NetworkStream(LoopbackTcp.Accept(listener, Timeout), ownsSocket: true), serverProfile.CreateConnection());
            await server.AuthenticateAsync(cts.Token);

            // "R" makes s_client send a new ClientHello. Only a read sees it, so the server's flight has to be sent from
            // the read path; s_client sends the next line only once that second handshake is done.
            Task<string> line = ReadLineAsync(server, cts.Token);
            client.WriteLine("R");
            client.ExpectOutput(OpenSslOutput.ClientRenegotiating, Timeout);
            client.WriteLine("after the renegotiation");
            Assert.Equal("after the renegotiation", await line.WaitAsync(Timeout, cts.Token));

            await server.WriteAsync("reply after renegotiation\n"u8.ToArray(), cts.Token);
            client.ExpectOutput("reply after renegotiation", Timeout);
        }
    }

    [Fact]
    public async Task A_client_stream_talks_to_openssl_s_server()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings(), runtime: new TlsRuntimeParameters { SendCloseNotify = true });
        using OpenSslProcess server = OpenSslProcess.StartServer("-cert", Pki.ServerEcCertificate, "-key", Pki.ServerEcKey, "-naccept", "1");
        await using var client = new TlsStream(
            new NetworkStream(LoopbackTcp.Connect(server.Port, Timeout), ownsSocket: true), clientProfile.CreateConnection("localhost"));

        await client.AuthenticateAsync(cts.Token);
        Assert.True(client.Connection.Info!.PeerVerified);
        await client.WriteAsync("REGISTER sip:localhost SIP/2.0\n"u8.ToArray(), cts.Token);
        server.ExpectOutput("REGISTER sip:localhost SIP/2.0", Timeout);

        // s_server sends its stdin lines to the client; the line must not start with one of its command letters.
        server.WriteLine("200 OK from s_server");
        Assert.Equal("200 OK from s_server", await ReadLineAsync(client, cts.Token));

        await client.ShutdownAsync(cts.Token);
        server.ExpectOutput(OpenSslOutput.ServerConnectionClosed, Timeout);
    }

    private static byte[] SipMessage(string headers, int bodyLength)
    {
        string body = new('x', bodyLength);
        return Encoding.ASCII.GetBytes($"{headers}Content-Length: {bodyLength}\r\n\r\n{body}");
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    private static async Task<byte[]> ReadRandomlyAsync(Stream stream, int total, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        byte[] received = new byte[total];
        int offset = 0;
        while (offset < total)
        {
            int size = Math.Min(random.Next(1, 40_001), total - offset);
            int read = await stream.ReadAsync(received.AsMemory(offset, size), cancellationToken);
            Assert.True(read > 0, $"unexpected end of stream after {offset} bytes");
            offset += read;
        }

        return received;
    }

    private static async Task WriteRandomlyAsync(Stream stream, byte[] data, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        for (int offset = 0; offset < data.Length;)
        {
            int size = Math.Min(random.Next(1, 100_001), data.Length - offset);
            await stream.WriteAsync(data.AsMemory(offset, size), cancellationToken);
            offset += size;
        }
    }

    /// <summary>Reads up to a "\n" (dropping it and any "\r"); bytes after it in the same read would be lost, so peers send one line at a time.</summary>
    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        byte[] buffer = new byte[1];
        while (true)
        {
            int read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"end of stream after \"{Encoding.ASCII.GetString([.. line])}\"");
            }

            if (buffer[0] == '\n')
            {
                return Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
            }

            line.Add(buffer[0]);
        }
    }

    /// <summary>A client and a server <see cref="TlsStream"/> over a loopback TCP connection.</summary>
    private sealed class StreamPair : IAsyncDisposable
    {
        private StreamPair(TlsStream client, TlsStream server, Socket clientSocket, Socket serverSocket)
        {
            Client = client;
            Server = server;
            ClientSocket = clientSocket;
            ServerSocket = serverSocket;
        }

        public TlsStream Client { get; }

        public TlsStream Server { get; }

        public Socket ClientSocket { get; }

        public Socket ServerSocket { get; }

        public static async Task<StreamPair> ConnectAsync(
            TlsProfile serverProfile,
            TlsProfile clientProfile,
            CancellationToken cancellationToken,
            bool authenticate = true,
            bool leaveInnerStreamOpen = false,
            Func<Stream, Stream>? wrapServer = null)
        {
            (Socket clientSocket, Socket serverSocket) = LoopbackTcp.CreateConnectedPair(Timeout);
            Stream serverInner = new NetworkStream(serverSocket, ownsSocket: true);
            var pair = new StreamPair(
                new TlsStream(new NetworkStream(clientSocket, ownsSocket: true), clientProfile.CreateConnection("localhost"), leaveInnerStreamOpen),
                new TlsStream(wrapServer?.Invoke(serverInner) ?? serverInner, serverProfile.CreateConnection(), leaveInnerStreamOpen),
                clientSocket,
                serverSocket);
            if (authenticate)
            {
                try
                {
                    await Task.WhenAll(pair.Client.AuthenticateAsync(cancellationToken), pair.Server.AuthenticateAsync(cancellationToken)).WaitAsync(Timeout, cancellationToken);
                }
                catch
                {
                    await pair.DisposeAsync();
                    throw;
                }
            }

            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
            ClientSocket.Dispose();
            ServerSocket.Dispose();
        }
    }

    /// <summary>Passes everything through, except that writes wait while the gate is closed (a transport that stalls).</summary>
    private sealed class GatedStream(Stream inner) : Stream
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile TaskCompletionSource _gate = Opened();

        /// <summary>Completes when a write reaches the closed gate.</summary>
        public Task Entered => _entered.Task;

        public override bool CanRead => inner.CanRead;

        public override bool CanWrite => inner.CanWrite;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public void Stall() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Resume() => _gate.TrySetResult();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Task gate = _gate.Task;
            if (!gate.IsCompleted)
            {
                _entered.TrySetResult();
            }

            await gate.WaitAsync(cancellationToken);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Resume();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private static TaskCompletionSource Opened()
        {
            var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            source.SetResult();
            return source;
        }
    }
}
