using System.Buffers;
using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Connections;

/// <summary>
/// The two I/O paths of a connection — the C shim (native/io) and the managed BIO it replaces — must behave the same
/// and talk to each other; output that does not fit the room asked for (the shim's spill buffer) must lose nothing.
/// The rest of the suite runs on the shim, so these tests also pin that it is really loaded.
/// </summary>
// Process-wide: the BIO-state test compares the shim's process-wide count of live states with the SSL handles holding
// one, which holds at once only while no other test creates or frees connections.
[Collection(ProcessWideCollection.Name)]
public sealed class NativeIoShimTests : NativeLeakCheck
{
    private static readonly int[] s_messageSizes = [1, 1400, 16384, 40000];
    private static readonly TlsRuntimeParameters s_closeNotify = new() { SendCloseNotify = true };

    private static TestPki Pki => TestPki.Instance;

    [SkippableFact]
    public void The_shim_is_loaded_on_Linux()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the C shim is built for Linux only");
        Skip.If(Environment.GetEnvironmentVariable(NativeIoShim.Variable) is "off" or "0" or "false", $"{NativeIoShim.Variable} turns the shim off for this run");
        Assert.True(NativeIoShim.Loaded is not null, NativeIoShim.Status);
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        using TlsConnection connection = server.CreateConnection();
        Assert.IsType<ShimSslEngine>(connection.Engine);
    }

    [SkippableTheory]
    [InlineData(false, false, TlsMethod.TLSv1_3)]
    [InlineData(false, true, TlsMethod.TLSv1_3)]
    [InlineData(true, false, TlsMethod.TLSv1_3)]
    [InlineData(true, true, TlsMethod.TLSv1_3)]
    [InlineData(false, true, TlsMethod.TLSv1_2)]
    [InlineData(true, false, TlsMethod.TLSv1_2)]
    public void Managed_and_native_BIOs_interoperate(bool nativeServer, bool nativeClient, TlsMethod method)
    {
        Skip.IfNot(NativeIoShim.Loaded is not null || (!nativeServer && !nativeClient), NativeIoShim.Status);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method), runtime: s_closeNotify);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method), runtime: s_closeNotify);
        using TlsConnection server = Create(serverProfile, nativeServer);
        using TlsConnection client = Create(clientProfile, nativeClient);
        Assert.Equal(nativeServer, server.Engine is ShimSslEngine);
        Assert.Equal(nativeClient, client.Engine is ShimSslEngine);

        var pump = new Pump(server, client, exactSpans: false);
        pump.HandshakeAndExchange();
        pump.CloseBothWays();
    }

    [SkippableTheory]
    [InlineData(TlsMethod.TLSv1_3)]
    [InlineData(TlsMethod.TLSv1_2)]
    public void Output_beyond_the_room_given_spills_and_arrives_whole(TlsMethod method)
    {
        Skip.IfNot(NativeIoShim.Loaded is not null, NativeIoShim.Status);

        // Every writer hands out exactly the room asked for, and we ask for almost none: nearly every flight, record
        // and alert goes through the shim's spill buffer and must still arrive whole and in order.
        var tiny = new SslEngineOptions
        {
            Io = SslEngineIo.Shim,
            HandshakeScratchBytes = 7,
            ReadScratchBytes = 3,
            ShutdownRoomBytes = 5,
            WriteOverheadBytes = -16384,
        };
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method) with
        {
            Certificate = Pki.ServerRsaCertificate,
            PrivateKey = Pki.ServerRsaKey,
        }, runtime: s_closeNotify);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method), runtime: s_closeNotify);
        using TlsConnection server = Create(serverProfile, tiny);
        using TlsConnection client = Create(clientProfile, tiny);
        var pump = new Pump(server, client, exactSpans: true);
        pump.HandshakeAndExchange();
        pump.CloseBothWays();
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_small_plaintext_span_is_filled_across_calls_with_nothing_lost(bool native)
    {
        Skip.IfNot(NativeIoShim.Loaded is not null || !native, NativeIoShim.Status);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using TlsConnection server = Create(serverProfile, native);
        using TlsConnection client = Create(clientProfile, native);
        var pump = new Pump(server, client, exactSpans: false);
        pump.Handshake();

        byte[] message = Pattern(50000, seed: 3);
        var wire = new ArrayBufferWriter<byte>();
        Assert.Equal(TlsStatus.Ok, client.Send(message, wire).Status);

        // 700 bytes of room per call: records stay partly decrypted inside libssl between calls (SSL_has_pending), and
        // calls with no new ciphertext must still deliver them.
        var received = new List<byte>();
        byte[] room = new byte[700];
        ReadOnlySpan<byte> ciphertext = wire.WrittenSpan;
        var ignoredOutput = new ArrayBufferWriter<byte>();
        for (int calls = 0; received.Count < message.Length; calls++)
        {
            Assert.True(calls < 10000, "no progress");
            TlsResult result = server.Receive(ciphertext, room, ignoredOutput, out int consumed, out int written);
            Assert.Equal(TlsStatus.Ok, result.Status);
            ciphertext = ciphertext[consumed..];
            received.AddRange(room.AsSpan(0, written).ToArray());
            Assert.True(consumed > 0 || written > 0, "a call made no progress");
        }

        Assert.Equal(message, received.ToArray());
        Assert.True(ciphertext.IsEmpty);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_output_writer_that_throws_fails_the_connection_and_nothing_stale_is_sent_later(bool native)
    {
        Skip.IfNot(NativeIoShim.Loaded is not null || !native, NativeIoShim.Status);

        // On the shim path the room asked for is one byte short per record, so the record spills and the writer is
        // called a second time for the spill: that call throws, after libssl has already encrypted the record.
        var engine = new SslEngineOptions { Io = native ? SslEngineIo.Shim : SslEngineIo.Managed, WriteOverheadBytes = -16384 };
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using TlsConnection server = Create(serverProfile, engine);
        using TlsConnection client = Create(clientProfile, engine);
        new Pump(server, client, exactSpans: false).Handshake();

        var refusing = new RefusingWriter(native ? 1 : 0);
        Assert.Equal(TlsStatus.Failed, client.Send(Pattern(3000, seed: 9), refusing).Status);
        var failure = Assert.IsType<TlsCallbackException>(client.Failure);
        Assert.Equal("output buffer writer", failure.Callback);
        Assert.Same(refusing.Thrown, failure.InnerException);
        Assert.StartsWith("encrypting failed: the output buffer writer threw InvalidOperationException", failure.Message, StringComparison.Ordinal);

        var later = new ArrayBufferWriter<byte>();
        Assert.Equal(TlsStatus.Failed, client.Send("after"u8, later).Status);
        client.Close(later);
        Assert.Equal(0, later.WrittenCount);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_message_sent_and_received_allocates_nothing(bool native)
    {
        Skip.IfNot(NativeIoShim.Loaded is not null || !native, NativeIoShim.Status);
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using TlsConnection server = Create(serverProfile, native);
        using TlsConnection client = Create(clientProfile, native);
        new Pump(server, client, exactSpans: false).Handshake();

        byte[] message = Pattern(512, seed: 5);
        var wire = new ArrayBufferWriter<byte>(4096);
        var plain = new ArrayBufferWriter<byte>(4096);
        var back = new ArrayBufferWriter<byte>(4096);
        void RoundTrip()
        {
            wire.ResetWrittenCount();
            plain.ResetWrittenCount();
            // Plain checks: xunit's Assert.Equal allocates a comparer per call.
            if (client.Send(message, wire).Status != TlsStatus.Ok || server.Receive(wire.WrittenSpan, plain, back).Status != TlsStatus.Ok)
            {
                throw new InvalidOperationException($"round trip failed: {client.Failure?.Message} {server.Failure?.Message}");
            }
        }

        for (int i = 0; i < 50; i++)
        {
            RoundTrip();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            RoundTrip();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(message, plain.WrittenSpan.ToArray());
    }

    [SkippableFact]
    public void Native_connections_free_their_BIO_state_however_they_end()
    {
        Skip.IfNot(NativeIoShim.Loaded is not null, NativeIoShim.Status);
        long before = NativeIoShim.LiveIoBlocks;
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), runtime: s_closeNotify);
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(), runtime: s_closeNotify);

        // Never used: made and freed in one shim call each.
        using (TlsConnection unused = Create(serverProfile, native: true))
        {
            _ = unused.Engine; // a server connection makes its SSL on its first bytes; Engine makes it now
            Assert.Equal(before + 1, NativeIoShim.LiveIoBlocks);
        }

        Assert.Equal(before, NativeIoShim.LiveIoBlocks);

        // Established, then disposed without Close (the shim's quiet close; the resumption tests check the session
        // stays resumable).
        using (TlsConnection server = Create(serverProfile, native: true))
        using (TlsConnection client = Create(clientProfile, native: true))
        {
            _ = server.Engine;
            Assert.Equal(before + 2, NativeIoShim.LiveIoBlocks);
            var pump = new Pump(server, client, exactSpans: false);
            pump.HandshakeAndExchange();
        }

        Assert.Equal(before, NativeIoShim.LiveIoBlocks);

        // Closed with close_notify, and failed by garbage.
        using (TlsConnection server = Create(serverProfile, native: true))
        using (TlsConnection client = Create(clientProfile, native: true))
        {
            var pump = new Pump(server, client, exactSpans: false);
            pump.HandshakeAndExchange();
            pump.CloseBothWays();
        }

        using (TlsConnection victim = Create(serverProfile, native: true))
        {
            // A plausible ClientHello header (so the SSL is made) over a body OpenSSL cannot parse.
            byte[] garbage = [0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0x00, 0x00, 0x0c, .. "GET / HTTP/1."u8];
            Assert.Equal(TlsStatus.Failed, victim.Receive(garbage, new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>()).Status);
            Assert.True(victim.HasEngine);
        }

        Assert.Equal(before, NativeIoShim.LiveIoBlocks);
    }

    [SkippableFact]
    public void Each_native_connection_counts_one_BIO_state_to_its_handle()
    {
        Skip.IfNot(NativeIoShim.Loaded is not null, NativeIoShim.Status);
        NativeObjectCounter.Scope scope = NativeObjectCounter.CurrentScope!;
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        using (TlsConnection native = Create(profile, native: true))
        using (TlsConnection managed = Create(profile, native: false))
        {
            // Server connections make their SSL on the first bytes; Engine makes it now.
            _ = native.Engine;
            _ = managed.Engine;
            Assert.Equal(1, scope.IoStateConnections);
            Assert.Equal(2, scope.Get(NativeObjectKind.Ssl));

            // This collection runs alone, so the process-wide balance holds at once.
            Assert.True(NativeObjectCounter.TryReadIoStateBalance(() => NativeIoShim.LiveIoBlocks, out long connections, out long states));
            Assert.Equal(connections, states);
            Assert.True(states >= 1);
        }

        Assert.Equal(0, scope.IoStateConnections);
    }

    private static TlsConnection Create(TlsProfile profile, bool native) =>
        Create(profile, new SslEngineOptions { Io = native ? SslEngineIo.Shim : SslEngineIo.Managed });

    private static TlsConnection Create(TlsProfile profile, SslEngineOptions engine) =>
        profile.CreateConnection(NoConnectionObserver.Instance, engine, profile.Role == TlsRole.Client ? "localhost" : null);

    private static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Moves ciphertext between the two connections, optionally through writers that give exactly the room asked.</summary>
    private sealed class Pump(TlsConnection server, TlsConnection client, bool exactSpans)
    {
        private readonly IBufferWriter<byte> _toServer = exactSpans ? new ExactSpanWriter() : new ArrayBufferWriter<byte>();
        private readonly IBufferWriter<byte> _toClient = exactSpans ? new ExactSpanWriter() : new ArrayBufferWriter<byte>();
        private readonly ArrayBufferWriter<byte> _serverPlain = new();
        private readonly ArrayBufferWriter<byte> _clientPlain = new();

        public void Handshake()
        {
            Assert.True(client.Start(_toServer).IsSuccess, client.Failure?.Message);
            Run();
            Assert.True(client.State == TlsConnectionState.Established && server.State == TlsConnectionState.Established,
                $"server {server.State} {server.Failure?.Message}; client {client.State} {client.Failure?.Message}");
        }

        public void HandshakeAndExchange()
        {
            Handshake();
            int seed = 0;
            var expectedAtServer = new List<byte>();
            var expectedAtClient = new List<byte>();
            foreach (int size in s_messageSizes)
            {
                byte[] request = Pattern(size, ++seed);
                byte[] reply = Pattern(size, ++seed);
                Assert.Equal(TlsStatus.Ok, client.Send(request, _toServer).Status);
                Run();
                Assert.Equal(TlsStatus.Ok, server.Send(reply, _toClient).Status);
                Run();
                expectedAtServer.AddRange(request);
                expectedAtClient.AddRange(reply);
            }

            Assert.Equal(expectedAtServer.ToArray(), _serverPlain.WrittenSpan.ToArray());
            Assert.Equal(expectedAtClient.ToArray(), _clientPlain.WrittenSpan.ToArray());
        }

        public void CloseBothWays()
        {
            Assert.True(client.Close(_toServer).IsSuccess);
            byte[] closeNotify = Take(_toServer);
            Assert.NotEmpty(closeNotify);
            Assert.True(server.Receive(closeNotify, _serverPlain, _toClient).Status == TlsStatus.PeerClosed, $"close_notify of {closeNotify.Length} bytes: {Convert.ToHexString(closeNotify)}");
            Assert.True(server.Close(_toClient).IsSuccess);
            Assert.NotEmpty(Take(_toClient)); // The server's own close_notify (the client has closed already).
        }

        private void Run()
        {
            for (int round = 0; round < 100; round++)
            {
                byte[] toServer = Take(_toServer);
                byte[] toClient = Take(_toClient);
                if (toServer.Length == 0 && toClient.Length == 0)
                {
                    return;
                }

                if (toServer.Length > 0)
                {
                    Assert.True(server.Receive(toServer, _serverPlain, _toClient).IsSuccess, server.Failure?.Message);
                }

                if (toClient.Length > 0)
                {
                    Assert.True(client.Receive(toClient, _clientPlain, _toServer).IsSuccess, client.Failure?.Message);
                }
            }

            Assert.Fail("the connections kept talking for 100 rounds");
        }

        private static byte[] Take(IBufferWriter<byte> writer)
        {
            switch (writer)
            {
                case ArrayBufferWriter<byte> array:
                    byte[] data = array.WrittenSpan.ToArray();
                    array.ResetWrittenCount();
                    return data;
                case ExactSpanWriter exact:
                    return exact.Take();
                default:
                    throw new InvalidOperationException();
            }
        }
    }

    /// <summary>Gives exactly the room asked for <paramref name="allowed"/> times, then throws.</summary>
    private sealed class RefusingWriter(int allowed) : IBufferWriter<byte>
    {
        private int _calls;

        public Exception Thrown { get; } = new InvalidOperationException("the socket buffer is gone");

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _calls++ < allowed ? new byte[Math.Max(1, sizeHint)] : throw Thrown;

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> that never gives more room than asked for (at least one byte).</summary>
    private sealed class ExactSpanWriter : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public void Advance(int count)
        {
            Assert.InRange(count, 0, _current.Length);
            _written.AddRange(_current.AsSpan(0, count).ToArray());
            _current = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(1, sizeHint)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public byte[] Take()
        {
            byte[] data = [.. _written];
            _written.Clear();
            return data;
        }
    }
}
