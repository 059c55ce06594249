using System.Buffers;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;

namespace OpenSslTls.Tests.Reliability;

/// <summary>
/// Dispose racing with I/O on the same connection from another thread, many times: no exception, no crash, every
/// operation after the dispose reports Closed (or the failure it already had), and no native object leaks.
/// </summary>
public sealed class DisposeRaceTests : NativeLeakCheck, IClassFixture<HostileRecordTests.Profiles>
{
    private const int Rounds = 300;
    private readonly HostileRecordTests.Profiles _profiles;

    public DisposeRaceTests(HostileRecordTests.Profiles profiles)
    {
        _profiles = profiles;
    }

    [Fact]
    public void Dispose_racing_with_receive_and_send_on_an_established_connection()
    {
        byte[] message = new byte[3000];
        Random.Shared.NextBytes(message);
        for (int round = 0; round < Rounds; round++)
        {
            using var pair = new TlsPair(_profiles.Server, _profiles.Client);
            Assert.True(pair.Handshake());
            // Ten client records the server will read while it is being disposed.
            var records = new ArrayBufferWriter<byte>();
            for (int i = 0; i < 10; i++)
            {
                Assert.True(pair.Client.Send(message, records).IsSuccess);
            }

            byte[] ciphertext = records.WrittenSpan.ToArray();
            using var start = new Barrier(3);
            Exception? failure = null;
            var reader = new Thread(() => Capture(ref failure, () =>
            {
                start.SignalAndWait();
                var plaintext = new ArrayBufferWriter<byte>();
                var output = new ArrayBufferWriter<byte>();
                for (int offset = 0; offset < ciphertext.Length; offset += 700)
                {
                    TlsResult result = pair.Server.Receive(ciphertext.AsSpan(offset, Math.Min(700, ciphertext.Length - offset)), plaintext, output);
                    if (!result.IsSuccess)
                    {
                        Assert.Equal(TlsStatus.Closed, result.Status);
                        break;
                    }
                }
            }));
            var writer = new Thread(() => Capture(ref failure, () =>
            {
                start.SignalAndWait();
                var output = new ArrayBufferWriter<byte>();
                for (int i = 0; i < 10; i++)
                {
                    TlsResult result = pair.Server.Send(message, output);
                    if (!result.IsSuccess)
                    {
                        Assert.Equal(TlsStatus.Closed, result.Status);
                        break;
                    }
                }

                _ = pair.Server.Info;
                _ = pair.Server.QueuedBytes;
            }));
            reader.Start();
            writer.Start();
            start.SignalAndWait();
            Thread.SpinWait(round * 37 % 5000);
            pair.Server.Dispose();
            reader.Join();
            writer.Join();
            Assert.Null(failure);
            Assert.Equal(TlsConnectionState.Closed, pair.Server.State);
        }
    }

    [Fact]
    public void Dispose_racing_with_a_handshake_in_progress()
    {
        for (int round = 0; round < Rounds; round++)
        {
            TlsConnection server = _profiles.Server.CreateConnection();
            using TlsConnection client = _profiles.Client.CreateConnection(TestPki.ServerName);
            var hello = new ArrayBufferWriter<byte>();
            client.Start(hello);
            byte[] flight = hello.WrittenSpan.ToArray();
            Exception? failure = null;
            using var start = new Barrier(2);
            var handshaker = new Thread(() => Capture(ref failure, () =>
            {
                start.SignalAndWait();
                TlsResult result = server.Receive(flight, new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());
                Assert.True(result.Status is TlsStatus.Ok or TlsStatus.Closed, result.Status.ToString());
                _ = server.GetSession();
            }));
            handshaker.Start();
            start.SignalAndWait();
            Thread.SpinWait(round * 53 % 3000);
            server.Dispose();
            handshaker.Join();
            server.Dispose(); // twice is harmless
            Assert.Null(failure);
        }
    }

    private static void Capture(ref Exception? failure, Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // the test thread reports any exception to the test
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref failure, e, null);
        }
    }
}
