using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Connections;

/// <summary>
/// <see cref="TlsDuplexPipe"/>: over in-memory pipes (with segments small enough that records straddle them), over
/// sockets wrapped as pipes, and against openssl s_client / s_server.
/// </summary>
public sealed class TlsDuplexPipeTests : NativeLeakCheck
{
    /// <summary>Bounds every test: each awaits with a token or a WaitAsync of this length.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static TestPki Pki => TestPki.Instance;

    private static TlsProfileSettings ServerSettings(TlsMethod method = TlsMethod.TLSv1_2Plus) => InMemoryConnectionTests.ServerSettings(method);

    private static TlsProfileSettings ClientSettings(TlsMethod method = TlsMethod.TLSv1_2Plus) => InMemoryConnectionTests.ClientSettings(method);

    private static TlsRuntimeParameters CloseNotify => new() { SendCloseNotify = true };

    [Theory]
    [InlineData(TlsMethod.TLSv1_3, "TLSv1.3")]
    [InlineData(TlsMethod.TLSv1_2, "TLSv1.2")]
    public async Task Small_and_large_messages_echo_over_in_memory_pipes(TlsMethod method, string protocol)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(method));
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings(method));
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        Assert.True(pair.Client.IsAuthenticated && pair.Server.IsAuthenticated);
        Assert.Equal(protocol, pair.Client.Connection.Info!.Protocol);
        Assert.Equal(protocol, pair.Server.Connection.Info!.Protocol);
        Assert.True(pair.Client.Connection.Info.PeerVerified);
        await EchoAsync(pair.Client, pair.Server, [1, 1200, TlsConnection.MaxRecordPlaintext, TlsConnection.MaxRecordPlaintext + 1, 100_000, 1 << 20], cts.Token);
    }

    [Fact]
    public async Task Records_straddling_tiny_segments_decrypt_and_tiny_output_segments_encrypt()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());

        // Ciphertext is relayed 5 bytes per write into 16-byte segments: every record spans several segments, and
        // each read hands the adapter a multi-segment sequence. The application pipes have 16-byte segments too.
        var tiny = new PipeOptions(minimumSegmentSize: 16, useSynchronizationContext: false);
        var options = new TlsDuplexPipeOptions { InputPipeOptions = tiny, OutputPipeOptions = tiny };
        SegmentCountingReader? counting = null;
        await using PipePair pair = await PipePair.ConnectAsync(
            serverProfile,
            clientProfile,
            cts.Token,
            serverOptions: options,
            clientOptions: options,
            wrapServerInput: input => counting = new SegmentCountingReader(ChoppingRelay.Start(input, chunk: 5, tiny)));

        await EchoAsync(pair.Client, pair.Server, [1, 300, 5000, 70_000], cts.Token);
        Assert.True(counting!.MultiSegmentReads > 0, "the server never read a multi-segment sequence");
    }

    [Fact]
    public async Task Both_directions_carry_a_megabyte_at_once_over_a_socket_pair()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        (Socket clientSocket, Socket serverSocket) = LoopbackTcp.CreateConnectedPair(Timeout);
        await using var client = new TlsDuplexPipe(SocketPipe(clientSocket), clientProfile.CreateConnection("localhost"));
        await using var server = new TlsDuplexPipe(SocketPipe(serverSocket), serverProfile.CreateConnection());
        await Task.WhenAll(client.AuthenticateAsync(cts.Token), server.AuthenticateAsync(cts.Token)).WaitAsync(Timeout, cts.Token);

        byte[] up = RandomBytes(1 << 20, seed: 1);
        byte[] down = RandomBytes(1 << 20, seed: 2);
        Task<byte[]> atServer = ReadExactlyAsync(server.Input, up.Length, cts.Token);
        Task<byte[]> atClient = ReadExactlyAsync(client.Input, down.Length, cts.Token);
        await Task.WhenAll(
            WriteInPiecesAsync(client.Output, up, seed: 3, cts.Token),
            WriteInPiecesAsync(server.Output, down, seed: 4, cts.Token),
            atServer,
            atClient).WaitAsync(Timeout, cts.Token);

        byte[] gotUp = await atServer;
        byte[] gotDown = await atClient;
        Assert.True(up.AsSpan().SequenceEqual(gotUp), "client -> server data differs");
        Assert.True(down.AsSpan().SequenceEqual(gotDown), "server -> client data differs");
    }

    [Fact]
    public async Task A_slow_application_reader_stops_the_adapter_reading_the_transport()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        var small = new PipeOptions(pauseWriterThreshold: 16 * 1024, resumeWriterThreshold: 8 * 1024, useSynchronizationContext: false);
        var options = new TlsDuplexPipeOptions { InputPipeOptions = small, OutputPipeOptions = small };
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token, small, options, options);
        byte[] data = RandomBytes(4 << 20, seed: 5);

        // Nobody reads the server's Input: every buffer on the way fills to its threshold and the write stays pending.
        Task write = pair.Client.Output.WriteAsync(data, cts.Token).AsTask();
        await Task.Delay(500, cts.Token);
        Assert.False(write.IsCompleted, "a 4 MiB write completed although the peer application read nothing");
        Assert.True(pair.Server.Input.TryRead(out ReadResult unread));
        long held = unread.Buffer.Length;
        pair.Server.Input.AdvanceTo(unread.Buffer.Start);

        // The pause threshold plus, at most, what one transport read decrypted (one 60 KiB send chunk and the pipe's fill).
        Assert.InRange(held, 16 * 1024, 160 * 1024);

        byte[] received = await ReadExactlyAsync(pair.Server.Input, data.Length, cts.Token);
        await write.WaitAsync(Timeout, cts.Token);
        Assert.True(data.AsSpan().SequenceEqual(received), "data differs");
    }

    [Fact]
    public async Task A_transport_that_does_not_drain_holds_the_applications_flush()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        var small = new PipeOptions(pauseWriterThreshold: 16 * 1024, resumeWriterThreshold: 8 * 1024, useSynchronizationContext: false);
        var options = new TlsDuplexPipeOptions { OutputPipeOptions = small };
        GatedReader? gate = null;
        await using PipePair pair = await PipePair.ConnectAsync(
            serverProfile, clientProfile, cts.Token, small, options, options, wrapClientInput: input => gate = new GatedReader(input));
        byte[] data = RandomBytes(1 << 20, seed: 6);

        gate!.Close();
        Task<FlushResult> write = pair.Server.Output.WriteAsync(data, cts.Token).AsTask();
        await Task.Delay(500, cts.Token);
        Assert.False(write.IsCompleted, "a 1 MiB write completed although nothing read the transport");

        // The application may give up waiting: its flush returns cancelled and the adapter goes on.
        pair.Server.Output.CancelPendingFlush();
        Assert.True((await write.WaitAsync(Timeout, cts.Token)).IsCanceled);

        Task<byte[]> received = ReadExactlyAsync(pair.Client.Input, data.Length * 2, cts.Token);
        gate.Open();
        await pair.Server.Output.WriteAsync(data, cts.Token).AsTask().WaitAsync(Timeout, cts.Token);
        byte[] all = await received.WaitAsync(Timeout, cts.Token);
        Assert.True(data.AsSpan().SequenceEqual(all.AsSpan(0, data.Length)) && data.AsSpan().SequenceEqual(all.AsSpan(data.Length)), "data differs");
    }

    [Fact]
    public async Task Completing_output_sends_close_notify_and_completes_the_peers_input()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(), runtime: CloseNotify);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings(), runtime: CloseNotify);
        RecordingWriter? serverSent = null;
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token, wrapServerOutput: output => serverSent = new RecordingWriter(output));

        await pair.Client.Output.WriteAsync("BYE sip:bob@localhost SIP/2.0\r\n\r\n"u8.ToArray(), cts.Token);
        await pair.Client.Output.CompleteAsync();

        Assert.Equal("BYE sip:bob@localhost SIP/2.0\r\n\r\n", Encoding.ASCII.GetString(await ReadToEndAsync(pair.Server.Input, cts.Token)));
        // close_notify came, not a bare end (then the server would stay Established); Closed once it replied.
        Assert.True(pair.Server.Connection.State is TlsConnectionState.PeerClosed or TlsConnectionState.Closed, pair.Server.Connection.State.ToString());

        // The server answered with its own close_notify and can send nothing more: its flush reports completion.
        await pair.Server.Completion.WaitAsync(Timeout, cts.Token);
        Assert.True((await pair.Server.Output.WriteAsync("late"u8.ToArray(), cts.Token)).IsCompleted);
        Assert.Empty(await ReadToEndAsync(pair.Client.Input, cts.Token));
        await pair.Client.Completion.WaitAsync(Timeout, cts.Token);
        Assert.Equal(TlsConnectionState.Closed, pair.Client.Connection.State);

        // TLS 1.3: the reply is the server's last record, an encrypted alert (type 23, 2 bytes + type + 16-byte tag).
        Assert.Equal((23, 19), serverSent!.LastRecord());
    }

    [Fact]
    public async Task Without_send_close_notify_completing_output_ends_with_a_plain_transport_close()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        await pair.Client.Output.WriteAsync("last"u8.ToArray(), cts.Token);
        await pair.Client.Output.CompleteAsync();

        // The transport ended between records: Input completes without error, and the server may still send.
        Assert.Equal("last", Encoding.ASCII.GetString(await ReadToEndAsync(pair.Server.Input, cts.Token)));
        Assert.Equal(TlsConnectionState.Established, pair.Server.Connection.State);
        Assert.False((await pair.Server.Output.WriteAsync("still open"u8.ToArray(), cts.Token)).IsCompleted);
    }

    [Fact]
    public async Task The_transport_ending_inside_a_record_fails_input_as_truncated()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        GatedReader? cut = null;
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token, wrapServerInput: input => cut = new GatedReader(input));

        // Half a record, then the end of the transport.
        cut!.EndAfter(20);
        await pair.Client.Output.WriteAsync(RandomBytes(1000, seed: 7), cts.Token);

        var error = await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(pair.Server.Input, cts.Token));
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        await pair.Server.Completion.WaitAsync(Timeout, cts.Token);
        var onOutput = await Assert.ThrowsAsync<IOException>(async () => await pair.Server.Output.WriteAsync("x"u8.ToArray(), cts.Token));
        Assert.Same(error, onOutput);
    }

    [Fact]
    public async Task A_transport_error_reaches_both_application_ends()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        GatedReader? wire = null;
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token, wrapServerInput: input => wire = new GatedReader(input));

        Task<ReadResult> pending = pair.Server.Input.ReadAsync(cts.Token).AsTask();
        var cutWire = new IOException("wire cut");
        wire!.Fault(cutWire);

        Assert.Same(cutWire, await Assert.ThrowsAsync<IOException>(() => pending.WaitAsync(Timeout, cts.Token)));
        await pair.Server.Completion.WaitAsync(Timeout, cts.Token);
        Assert.Same(cutWire, await Assert.ThrowsAsync<IOException>(async () => await pair.Server.Output.WriteAsync("x"u8.ToArray(), cts.Token)));
    }

    [Fact]
    public async Task A_bad_record_fails_both_ends_with_the_tls_failure_after_the_alert()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        GatedReader? wire = null;
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token, wrapServerInput: input => wire = new GatedReader(input));

        // A record with a valid header and a garbage body: the MAC check fails.
        wire!.Inject([0x17, 0x03, 0x03, 0x00, 0x20, .. RandomBytes(32, seed: 8)]);

        var error = await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(pair.Server.Input, cts.Token));
        Assert.IsAssignableFrom<TlsException>(error.InnerException);
        Assert.Same(pair.Server.Connection.Failure, error.InnerException);
        await pair.Server.Completion.WaitAsync(Timeout, cts.Token);
        Assert.Same(error, await Assert.ThrowsAsync<IOException>(async () => await pair.Server.Output.WriteAsync("x"u8.ToArray(), cts.Token)));

        // The alert went out through the sending loop: the client fails on it.
        var atClient = await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(pair.Client.Input, cts.Token));
        Assert.Contains("alert", atClient.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Completing_output_with_an_exception_aborts_without_close_notify()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(), runtime: CloseNotify);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings(), runtime: CloseNotify);
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        var gaveUp = new InvalidOperationException("the application gave up");
        await pair.Client.Output.CompleteAsync(gaveUp);

        // The transport's writer was completed with the exception, which the in-memory transport hands to the server.
        Assert.Same(gaveUp, await Assert.ThrowsAsync<InvalidOperationException>(() => ReadToEndAsync(pair.Server.Input, cts.Token)));
        Assert.Equal(TlsConnectionState.Established, pair.Server.Connection.State); // no close_notify
        Assert.Same(gaveUp, await Assert.ThrowsAsync<InvalidOperationException>(() => ReadToEndAsync(pair.Client.Input, cts.Token)));
        await pair.Client.Completion.WaitAsync(Timeout, cts.Token);
        Assert.Equal(TlsConnectionState.Established, pair.Client.Connection.State);
    }

    [Fact]
    public async Task The_application_completing_input_stops_reading_but_not_sending()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        await pair.Server.Input.CompleteAsync();

        // The server's adapter keeps reading the transport and drops the plaintext, so the client's writes are taken
        // (an adapter that stopped reading made an in-memory transport refuse them, failing the client: seen on 3.5).
        // 200 KB: more than the pipes' pause thresholds hold, so the writes go on only while the server reads.
        for (int i = 0; i < 200; i++)
        {
            Assert.False((await pair.Client.Output.WriteAsync(new byte[1000], cts.Token)).IsCompleted);
        }

        await pair.Server.Output.WriteAsync("still sent"u8.ToArray(), cts.Token);
        Assert.Equal("still sent", Encoding.ASCII.GetString(await ReadExactlyAsync(pair.Client.Input, 10, cts.Token)));
    }

    [Fact]
    public async Task CancelPendingRead_on_input_returns_a_cancelled_read_and_data_still_flows()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        ValueTask<ReadResult> pending = pair.Server.Input.ReadAsync(cts.Token);
        pair.Server.Input.CancelPendingRead();
        ReadResult cancelled = await pending;
        Assert.True(cancelled.IsCanceled);
        pair.Server.Input.AdvanceTo(cancelled.Buffer.Start);

        await pair.Client.Output.WriteAsync("after"u8.ToArray(), cts.Token);
        Assert.Equal("after", Encoding.ASCII.GetString(await ReadExactlyAsync(pair.Server.Input, 5, cts.Token)));
    }

    [Fact]
    public async Task The_handshake_is_cancelled_by_its_token()
    {
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        var silent = new Pipe();
        var sink = new Pipe();
        await using var server = new TlsDuplexPipe(new DuplexPipe(silent.Reader, sink.Writer), serverProfile.CreateConnection());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.AuthenticateAsync(cts.Token).WaitAsync(Timeout));
        Assert.False(server.IsAuthenticated);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.AuthenticateAsync());
    }

    [Fact]
    public async Task Disposing_during_the_handshake_ends_it_and_completes_the_transport()
    {
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        var silent = new Pipe();
        var sent = new Pipe();
        var client = new TlsDuplexPipe(new DuplexPipe(silent.Reader, sent.Writer), clientProfile.CreateConnection("localhost"));
        Task handshake = client.AuthenticateAsync();

        // The ClientHello went out; then nothing comes back.
        ReadResult hello = await sent.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(0x16, hello.Buffer.FirstSpan[0]);
        sent.Reader.AdvanceTo(hello.Buffer.End);
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => handshake.WaitAsync(Timeout));
        Assert.True((await sent.Reader.ReadAsync().AsTask().WaitAsync(Timeout)).IsCompleted, "the transport's writer was not completed");
        Assert.True((await silent.Writer.FlushAsync().AsTask().WaitAsync(Timeout)).IsCompleted, "the transport's reader was not completed");
    }

    [Fact]
    public async Task A_failed_handshake_throws_the_tls_exception_on_both_sides()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings() with
        {
            Certificate = Pki.UntrustedServerCertificate,
            PrivateKey = Pki.UntrustedServerKey,
        });
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using PipePair pair = PipePair.Create(serverProfile, clientProfile);

        Task client = pair.Client.AuthenticateAsync(cts.Token);
        Task server = pair.Server.AuthenticateAsync(cts.Token);

        var clientError = await Assert.ThrowsAsync<OpenSslException>(() => client.WaitAsync(Timeout, cts.Token));
        Assert.Contains("certificate verification failed", clientError.Message, StringComparison.Ordinal);
        Assert.Same(pair.Client.Connection.Failure, clientError);
        Assert.False(pair.Client.IsAuthenticated);

        // The server fails on the client's alert, which proves the alert went out before the client threw.
        var serverError = await Assert.ThrowsAsync<OpenSslException>(() => server.WaitAsync(Timeout, cts.Token));
        Assert.Contains("unknown ca", serverError.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_peer_that_leaves_during_the_handshake_fails_it_with_TlsPeerClosedException()
    {
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        var fromServer = new Pipe();
        var toServer = new Pipe();
        await using var client = new TlsDuplexPipe(new DuplexPipe(fromServer.Reader, toServer.Writer), clientProfile.CreateConnection("localhost"));
        Task handshake = client.AuthenticateAsync();
        await fromServer.Writer.CompleteAsync();

        await Assert.ThrowsAsync<TlsPeerClosedException>(() => handshake.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Disposing_while_data_flows_ends_both_loops_and_frees_the_connection()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token);

        Task<ReadResult> waiting = pair.Server.Input.ReadAsync(cts.Token).AsTask();
        Task flood = pair.Server.Output.WriteAsync(RandomBytes(1 << 20, seed: 9), cts.Token).AsTask(); // the client reads none
        await pair.Server.DisposeAsync();

        await pair.Server.Completion.WaitAsync(Timeout, cts.Token);
        Assert.Equal(TlsConnectionState.Closed, pair.Server.Connection.State);
        Assert.True((await waiting.WaitAsync(Timeout, cts.Token)).IsCompleted);
        await flood.WaitAsync(Timeout, cts.Token);
    }

    [Fact]
    public async Task A_server_pipe_over_a_socket_talks_to_openssl_s_client()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(), runtime: CloseNotify);
        (Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        {
            // -quiet: received data only (and stdin lines are never commands).
            using OpenSslProcess client = OpenSslProcess.StartClient(port, "-CAfile", Pki.RootCaCertificate, "-verify_return_error", "-quiet");
            await using var server = new TlsDuplexPipe(SocketPipe(LoopbackTcp.Accept(listener, Timeout)), serverProfile.CreateConnection());

            await server.AuthenticateAsync(cts.Token);
            client.WriteLine("OPTIONS sip:localhost SIP/2.0");
            Assert.Equal("OPTIONS sip:localhost SIP/2.0", await ReadLineAsync(server.Input, cts.Token));
            await server.Output.WriteAsync("SIP/2.0 200 OK\n"u8.ToArray(), cts.Token);
            client.ExpectOutput("SIP/2.0 200 OK", Timeout);

            // Completing Output sends close_notify, which ends s_client (it ignores stdin's end under -quiet).
            await server.Output.CompleteAsync();
            client.WaitForExit(Timeout);
            Assert.True(client.HasExited, "s_client did not end on the close_notify");
            Assert.Equal("TLSv1.3", server.Connection.Info!.Protocol);
        }
    }

    [Fact]
    public async Task A_client_pipe_over_a_socket_talks_to_openssl_s_server()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings(), runtime: CloseNotify);
        using OpenSslProcess server = OpenSslProcess.StartServer("-cert", Pki.ServerEcCertificate, "-key", Pki.ServerEcKey, "-naccept", "1");
        await using var client = new TlsDuplexPipe(SocketPipe(LoopbackTcp.Connect(server.Port, Timeout)), clientProfile.CreateConnection("localhost"));

        await client.AuthenticateAsync(cts.Token);
        Assert.True(client.Connection.Info!.PeerVerified);
        await client.Output.WriteAsync("REGISTER sip:localhost SIP/2.0\n"u8.ToArray(), cts.Token);
        server.ExpectOutput("REGISTER sip:localhost SIP/2.0", Timeout);

        // s_server sends its stdin lines to the client; the line must not start with one of its command letters.
        server.WriteLine("200 OK from s_server");
        Assert.Equal("200 OK from s_server", await ReadLineAsync(client.Input, cts.Token));

        await client.Output.CompleteAsync();
        server.ExpectOutput(OpenSslOutput.ServerConnectionClosed, Timeout);
    }

    [Fact]
    public async Task A_key_update_requested_by_s_client_is_answered_from_the_reading_loop()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(TlsMethod.TLSv1_3));
        (Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        {
            // Without -quiet s_client takes commands: "K" sends a KeyUpdate that requests one back.
            using OpenSslProcess client = OpenSslProcess.StartClient(port, "-CAfile", Pki.RootCaCertificate, "-verify_return_error");
            await using var server = new TlsDuplexPipe(SocketPipe(LoopbackTcp.Accept(listener, Timeout)), serverProfile.CreateConnection());
            await server.AuthenticateAsync(cts.Token);

            client.WriteLine("K");
            client.ExpectOutput(OpenSslOutput.ClientKeyUpdate, Timeout);
            client.WriteLine("after the key update");
            Assert.Equal("after the key update", await ReadLineAsync(server.Input, cts.Token));

            // The requested KeyUpdate must reach s_client ahead of this record, which is under the new keys.
            await server.Output.WriteAsync("reply under new keys\n"u8.ToArray(), cts.Token);
            client.ExpectOutput("reply under new keys", Timeout);
        }
    }

    [Fact]
    public async Task A_renegotiation_by_s_client_is_answered_while_nothing_is_written()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(TlsMethod.TLSv1_2), new TlsTuning { Renegotiation = true });
        (Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        {
            using OpenSslProcess client = OpenSslProcess.StartClient(port, "-CAfile", Pki.RootCaCertificate, "-verify_return_error", "-tls1_2");
            await using var server = new TlsDuplexPipe(SocketPipe(LoopbackTcp.Accept(listener, Timeout)), serverProfile.CreateConnection());
            await server.AuthenticateAsync(cts.Token);

            // "R" makes s_client send a new ClientHello; the server's flight is produced by the reading loop and must
            // be sent without any application write. s_client sends the next line only once that handshake is done.
            Task<string> line = ReadLineAsync(server.Input, cts.Token);
            client.WriteLine("R");
            client.ExpectOutput(OpenSslOutput.ClientRenegotiating, Timeout);
            client.WriteLine("after the renegotiation");
            Assert.Equal("after the renegotiation", await line.WaitAsync(Timeout, cts.Token));

            await server.Output.WriteAsync("reply after renegotiation\n"u8.ToArray(), cts.Token);
            client.ExpectOutput("reply after renegotiation", Timeout);
        }
    }

    [Fact]
    public async Task The_steady_path_allocates_nothing_per_message()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings());

        // Inline schedulers: every loop runs on the thread that wakes it, so one round trip runs on this thread only and
        // its allocation counter sees all of it (the thread pool scheduler allocates a work item per hop of its own).
        var inline = new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        var options = new TlsDuplexPipeOptions { InputPipeOptions = inline, OutputPipeOptions = inline };
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token, inline, options, options);
        byte[] message = RandomBytes(1200, seed: 10);
        // Warm-up (JIT, pools, the TLS 1.3 tickets), waiting as needed: the loops start on the thread pool.
        for (int i = 0; i < 500; i++)
        {
            await pair.Client.Output.WriteAsync(message, cts.Token);
            await pair.Server.Output.WriteAsync(await ReadExactlyAsync(pair.Server.Input, message.Length, cts.Token), cts.Token);
            _ = await ReadExactlyAsync(pair.Client.Input, message.Length, cts.Token);
        }

        // With inline schedulers those awaits resumed inside a loop's flush (on its stack): leave that stack, and let
        // every loop get back to its wait, before measuring.
        await Task.Delay(200, cts.Token);

        const int Count = 5000;
        int thread = Environment.CurrentManagedThreadId;
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool synchronous = RoundTrips(pair, message, Count);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(synchronous && thread == Environment.CurrentManagedThreadId, "the round trips left this thread");
        Assert.True(allocated < Count, $"{allocated} bytes allocated over {Count} round trips of {message.Length} bytes");
    }

    /// <summary>Round trips that must each complete without waiting (inline schedulers); false when one did not.</summary>
    private static bool RoundTrips(PipePair pair, byte[] message, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!Send(pair.Client.Output, message) || !Take(pair.Server.Input, message.Length) ||
                !Send(pair.Server.Output, message) || !Take(pair.Client.Input, message.Length))
            {
                return false;
            }
        }

        return true;

        static bool Send(PipeWriter writer, byte[] data)
        {
            data.CopyTo(writer.GetSpan(data.Length));
            writer.Advance(data.Length);
            ValueTask<FlushResult> flush = writer.FlushAsync();
            bool done = flush.IsCompletedSuccessfully;
            if (done)
            {
                _ = flush.Result;
            }

            return done;
        }

        static bool Take(PipeReader reader, int length)
        {
            if (!reader.TryRead(out ReadResult result) || result.Buffer.Length < length)
            {
                return false;
            }

            reader.AdvanceTo(result.Buffer.GetPosition(length));
            return true;
        }
    }

    [Fact]
    public async Task An_idle_adapter_holds_no_pooled_buffer()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, ServerSettings(TlsMethod.TLSv1_2), new TlsTuning { Renegotiation = true });
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, ClientSettings(TlsMethod.TLSv1_2));
        var pool = new CountingPool();
        var pooled = new PipeOptions(pool: pool, useSynchronizationContext: false);
        var options = new TlsDuplexPipeOptions { InputPipeOptions = pooled, OutputPipeOptions = pooled };
        await using PipePair pair = await PipePair.ConnectAsync(serverProfile, clientProfile, cts.Token, pooled, options, options);

        await EchoAsync(pair.Client, pair.Server, [1200, 100_000], cts.Token);

        // Every segment of the four pipes went back to the pool once read (idle connections cost no buffers).
        Assert.True(pool.Rented > 0, "the pipes never used the pool");
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, pair.Server.HeldDeferredBytes);
    }

    internal static IDuplexPipe SocketPipe(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        return new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream));
    }

    internal static async Task EchoAsync(TlsDuplexPipe client, TlsDuplexPipe server, int[] sizes, CancellationToken cancellationToken)
    {
        foreach (int size in sizes)
        {
            byte[] message = RandomBytes(size, seed: size);
            Task<byte[]> atServer = ReadExactlyAsync(server.Input, size, cancellationToken);
            await client.Output.WriteAsync(message, cancellationToken);
            byte[] received = await atServer.WaitAsync(Timeout, cancellationToken);
            Assert.True(message.AsSpan().SequenceEqual(received), $"{size} bytes client -> server differ");

            Task<byte[]> atClient = ReadExactlyAsync(client.Input, size, cancellationToken);
            await server.Output.WriteAsync(received, cancellationToken);
            byte[] echoed = await atClient.WaitAsync(Timeout, cancellationToken);
            Assert.True(message.AsSpan().SequenceEqual(echoed), $"{size} bytes server -> client differ");
        }
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    internal static async Task<byte[]> ReadExactlyAsync(PipeReader reader, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= count)
            {
                byte[] data = buffer.Slice(0, count).ToArray();
                reader.AdvanceTo(buffer.GetPosition(count));
                return data;
            }

            if (result.IsCompleted)
            {
                throw new IOException($"end of input after {buffer.Length} of {count} bytes");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            if (result.IsCompleted)
            {
                byte[] data = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return data;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static async Task<string> ReadLineAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } end)
            {
                string line = Encoding.ASCII.GetString(buffer.Slice(0, end).ToArray()).TrimEnd('\r');
                reader.AdvanceTo(buffer.GetPosition(1, end));
                return line;
            }

            if (result.IsCompleted)
            {
                throw new IOException($"end of input after \"{Encoding.ASCII.GetString(buffer.ToArray())}\"");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task WriteInPiecesAsync(PipeWriter writer, byte[] data, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        for (int offset = 0; offset < data.Length;)
        {
            int size = Math.Min(random.Next(1, 100_001), data.Length - offset);
            await writer.WriteAsync(data.AsMemory(offset, size), cancellationToken);
            offset += size;
        }
    }

    internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>A client and a server adapter over two in-memory pipes, each transport end optionally wrapped.</summary>
    internal sealed class PipePair : IAsyncDisposable
    {
        private PipePair(TlsDuplexPipe client, TlsDuplexPipe server)
        {
            Client = client;
            Server = server;
        }

        public TlsDuplexPipe Client { get; }

        public TlsDuplexPipe Server { get; }

        public static PipePair Create(
            TlsProfile serverProfile,
            TlsProfile clientProfile,
            PipeOptions? transportOptions = null,
            TlsDuplexPipeOptions? serverOptions = null,
            TlsDuplexPipeOptions? clientOptions = null,
            Func<PipeReader, PipeReader>? wrapServerInput = null,
            Func<PipeReader, PipeReader>? wrapClientInput = null,
            Func<PipeWriter, PipeWriter>? wrapServerOutput = null)
        {
            transportOptions ??= new PipeOptions(useSynchronizationContext: false);
            var toServer = new Pipe(transportOptions);
            var toClient = new Pipe(transportOptions);
            PipeReader serverInput = wrapServerInput?.Invoke(toServer.Reader) ?? toServer.Reader;
            PipeReader clientInput = wrapClientInput?.Invoke(toClient.Reader) ?? toClient.Reader;
            PipeWriter serverOutput = wrapServerOutput?.Invoke(toClient.Writer) ?? toClient.Writer;
            var client = new TlsDuplexPipe(new DuplexPipe(clientInput, toServer.Writer), clientProfile.CreateConnection("localhost"), clientOptions);
            var server = new TlsDuplexPipe(new DuplexPipe(serverInput, serverOutput), serverProfile.CreateConnection(), serverOptions);
            return new PipePair(client, server);
        }

        public static async Task<PipePair> ConnectAsync(
            TlsProfile serverProfile,
            TlsProfile clientProfile,
            CancellationToken cancellationToken,
            PipeOptions? transportOptions = null,
            TlsDuplexPipeOptions? serverOptions = null,
            TlsDuplexPipeOptions? clientOptions = null,
            Func<PipeReader, PipeReader>? wrapServerInput = null,
            Func<PipeReader, PipeReader>? wrapClientInput = null,
            Func<PipeWriter, PipeWriter>? wrapServerOutput = null)
        {
            PipePair pair = Create(serverProfile, clientProfile, transportOptions, serverOptions, clientOptions, wrapServerInput, wrapClientInput, wrapServerOutput);
            try
            {
                await Task.WhenAll(pair.Client.AuthenticateAsync(cancellationToken), pair.Server.AuthenticateAsync(cancellationToken)).WaitAsync(Timeout, cancellationToken);
            }
            catch
            {
                await pair.DisposeAsync();
                throw;
            }

            return pair;
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    /// <summary>A transport writer that keeps a copy of every byte written through it.</summary>
    private sealed class RecordingWriter(PipeWriter inner) : PipeWriter
    {
        private readonly Lock _lock = new();
        private readonly List<byte> _written = [];
        private Memory<byte> _handedOut;

        /// <summary>The type and length of the last complete record written.</summary>
        public (int Type, int Length) LastRecord()
        {
            byte[] data;
            lock (_lock)
            {
                data = [.. _written];
            }

            (int, int) last = default;
            for (int offset = 0; offset + 5 <= data.Length;)
            {
                int length = (data[offset + 3] << 8) | data[offset + 4];
                last = (data[offset], length);
                offset += 5 + length;
            }

            return last;
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => _handedOut = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            lock (_lock)
            {
                _written.AddRange(_handedOut.Span[..bytes]);
            }

            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }

    /// <summary>A memory pool that counts the blocks out (backed by the shared array pool).</summary>
    private sealed class CountingPool : MemoryPool<byte>
    {
        private int _outstanding;
        private int _rented;

        public int Outstanding => Volatile.Read(ref _outstanding);

        public int Rented => Volatile.Read(ref _rented);

        public override int MaxBufferSize => int.MaxValue;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            Interlocked.Increment(ref _rented);
            Interlocked.Increment(ref _outstanding);
            return new Block(this, ArrayPool<byte>.Shared.Rent(Math.Max(minBufferSize, 4096)));
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Block(CountingPool pool, byte[] array) : IMemoryOwner<byte>
        {
            private byte[]? _array = array;

            public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _array, null) is { } returned)
                {
                    ArrayPool<byte>.Shared.Return(returned);
                    Interlocked.Decrement(ref pool._outstanding);
                }
            }
        }
    }

    /// <summary>Counts the reads that returned more than one segment.</summary>
    private sealed class SegmentCountingReader(PipeReader inner) : ForwardingReader(inner)
    {
        private int _multiSegmentReads;

        public int MultiSegmentReads => Volatile.Read(ref _multiSegmentReads);

        protected override void OnRead(ReadResult result)
        {
            if (!result.Buffer.IsSingleSegment)
            {
                Interlocked.Increment(ref _multiSegmentReads);
            }
        }
    }

    /// <summary>
    /// A transport reader the test controls: <see cref="Close"/> holds reads until <see cref="Open"/>;
    /// <see cref="Fault"/> makes reads throw; <see cref="EndAfter"/> ends the stream after some more bytes;
    /// <see cref="Inject"/> puts bytes in front of what comes next.
    /// </summary>
    internal sealed class GatedReader(PipeReader inner) : PipeReader
    {
        private readonly Lock _lock = new();
        private TaskCompletionSource? _gate;
        private Exception? _fault;
        private long _endAfter = -1;
        private byte[]? _injected;
        private bool _injectedShown;

        public void Close()
        {
            lock (_lock)
            {
                _gate ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public void Open()
        {
            TaskCompletionSource? gate;
            lock (_lock)
            {
                gate = _gate;
                _gate = null;
            }

            gate?.TrySetResult();
        }

        public void Fault(Exception error)
        {
            lock (_lock)
            {
                _fault = error;
            }

            inner.CancelPendingRead();
        }

        public void EndAfter(long bytes)
        {
            lock (_lock)
            {
                _endAfter = bytes;
            }
        }

        public void Inject(byte[] bytes)
        {
            lock (_lock)
            {
                _injected = bytes;
            }

            inner.CancelPendingRead();
        }

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            Task? gate;
            lock (_lock)
            {
                gate = _gate?.Task;
            }

            if (gate is not null)
            {
                await gate.WaitAsync(cancellationToken);
            }

            while (true)
            {
                lock (_lock)
                {
                    if (_injected is { } injected)
                    {
                        _injectedShown = true;
                        return new ReadResult(new ReadOnlySequence<byte>(injected), isCanceled: false, isCompleted: false);
                    }
                }

                ReadResult result = await inner.ReadAsync(cancellationToken);
                lock (_lock)
                {
                    if (_fault is { } fault)
                    {
                        inner.AdvanceTo(result.Buffer.Start);
                        throw fault;
                    }

                    if (_injected is not null)
                    {
                        inner.AdvanceTo(result.Buffer.Start);
                        continue;
                    }

                    if (_endAfter >= 0 && result.Buffer.Length >= _endAfter)
                    {
                        // Shows only the first bytes, then an end: what a transport cut there would show.
                        return new ReadResult(result.Buffer.Slice(0, _endAfter), isCanceled: false, isCompleted: true);
                    }
                }

                return result;
            }
        }

        public override bool TryRead(out ReadResult result) => throw new NotSupportedException();

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            lock (_lock)
            {
                if (_injectedShown)
                {
                    // The injected bytes are always consumed whole (the adapter takes every byte).
                    _injected = null;
                    _injectedShown = false;
                    return;
                }

                if (_endAfter >= 0)
                {
                    _endAfter = 0;
                }
            }

            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }

    /// <summary>Passes reads through, seeing each result and what each advance consumed.</summary>
    private abstract class ForwardingReader(PipeReader inner) : PipeReader
    {
        private ReadOnlySequence<byte> _last;

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            ReadResult result = await inner.ReadAsync(cancellationToken);
            _last = result.Buffer;
            OnRead(result);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            bool read = inner.TryRead(out result);
            if (read)
            {
                _last = result.Buffer;
                OnRead(result);
            }

            return read;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            Observe(_last.Slice(0, consumed));
            _last = default;
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        protected virtual void OnRead(ReadResult result)
        {
        }

        protected virtual void Observe(ReadOnlySequence<byte> consumed)
        {
        }
    }

    /// <summary>Copies one pipe into a new one a few bytes per write, so every record spans several small segments.</summary>
    private static class ChoppingRelay
    {
        public static PipeReader Start(PipeReader source, int chunk, PipeOptions options)
        {
            var target = new Pipe(options);
            _ = Task.Run(async () =>
            {
                Exception? error = null;
                try
                {
                    while (true)
                    {
                        ReadResult result = await source.ReadAsync();
                        foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                        {
                            for (int offset = 0; offset < segment.Length; offset += chunk)
                            {
                                ReadOnlySpan<byte> piece = segment.Span.Slice(offset, Math.Min(chunk, segment.Length - offset));
                                piece.CopyTo(target.Writer.GetSpan(piece.Length));
                                target.Writer.Advance(piece.Length);
                            }
                        }

                        source.AdvanceTo(result.Buffer.End);
                        FlushResult flushed = await target.Writer.FlushAsync();
                        if (result.IsCompleted || flushed.IsCompleted)
                        {
                            break;
                        }
                    }
                }
                catch (Exception e)
                {
                    error = e;
                }

                await source.CompleteAsync(error);
                await target.Writer.CompleteAsync(error);
            });
            return target.Reader;
        }
    }
}
