using System.Buffers;
using CsCheck;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Reliability;

/// <summary>
/// Property tests of the record path under hostile input: random bytes, and random mutations of the records a real
/// client sends, fed as ciphertext to server connections. Receive must never throw, a failure must leave the
/// connection Failed with a reason, and no native object may outlive the test (checked by <see cref="NativeLeakCheck"/>).
/// </summary>
public sealed class HostileRecordTests : NativeLeakCheck, IClassFixture<HostileRecordTests.Profiles>
{
    private readonly Profiles _profiles;

    public HostileRecordTests(Profiles profiles)
    {
        _profiles = profiles;
    }

    [Fact]
    public void Random_bytes_in_random_chunks_never_throw_and_end_failed_or_waiting()
    {
        Gen.Select(Gen.Byte.Array[0, 4096], Gen.Int[1, 600]).Sample((bytes, chunk) =>
        {
            using TlsConnection server = _profiles.Server.CreateConnection();
            TlsStatus last = Feed(server, bytes, chunk);
            AssertConsistent(server, last);
        }, iter: 2000);
    }

    [Fact]
    public void Random_bytes_behind_a_valid_record_header_never_throw()
    {
        // A plausible header (handshake/alert/ccs/appdata, TLS 1.0-1.3 versions, the body's real length) gets the
        // garbage past OpenSSL's first framing checks into the message parsers.
        Gen<byte[]> records = Gen.Select(Gen.Int[20, 23].Select(type => (byte)type), Gen.Byte[1, 4], Gen.Byte.Array[0, 2048])
            .Select((type, minor, body) => (byte[])[type, 3, minor, (byte)(body.Length >> 8), (byte)body.Length, .. body]);
        records.Array[1, 4].Sample(flight =>
        {
            using TlsConnection server = _profiles.Server.CreateConnection();
            TlsStatus last = Feed(server, [.. flight.SelectMany(record => record)], int.MaxValue);
            AssertConsistent(server, last);
        }, iter: 2000);
    }

    [Fact]
    public void Mutated_client_hellos_never_throw()
    {
        byte[] hello = _profiles.ClientHello;
        Mutations(hello).Sample(mutated =>
        {
            using TlsConnection server = _profiles.Server.CreateConnection();
            TlsStatus last = Feed(server, mutated, int.MaxValue);
            AssertConsistent(server, last);
        }, iter: 3000);
    }

    [Fact]
    public void Mutated_application_records_on_an_established_connection_fail_cleanly()
    {
        Gen.Int[0, 1000].Select(Gen.Int[1, 8], Gen.Byte).Sample((seed, flips, value) =>
        {
            using var pair = new TlsPair(_profiles.Server, _profiles.Client);
            Assert.True(pair.Handshake());
            var toServer = new ArrayBufferWriter<byte>();
            Assert.True(pair.Client.Send("MESSAGE sip:bob@example.test SIP/2.0\r\n\r\n"u8, toServer).IsSuccess);
            byte[] record = toServer.WrittenSpan.ToArray();
            // Distinct positions: flipping one byte twice with the same value would restore it.
            var random = new Random(seed);
            foreach (int position in Enumerable.Range(0, record.Length).OrderBy(_ => random.Next()).Take(flips))
            {
                record[position] ^= (byte)(value | 1);
            }

            var plaintext = new ArrayBufferWriter<byte>();
            TlsResult result = pair.Server.Receive(record, plaintext, new ArrayBufferWriter<byte>());
            AssertConsistent(pair.Server, result.Status);
            Assert.True(result.Status is TlsStatus.Failed or TlsStatus.Ok, result.Status.ToString());
            if (result.Status == TlsStatus.Ok)
            {
                // Only a header change that still frames (e.g. a longer length) can leave it waiting; never plaintext.
                Assert.Equal(0, plaintext.WrittenCount);
            }
        }, iter: 300);
    }

    [Fact]
    public void Corrupting_every_byte_of_a_full_client_flight_one_at_a_time_never_throws()
    {
        // Deterministic sweep: a TLS 1.2 client's whole handshake, each byte XOR 0xFF in turn, replayed from the start.
        using var reference = new TlsPair(_profiles.Server, _profiles.Tls12Client);
        Assert.True(reference.Handshake());
        byte[][] flights = [.. reference.ClientFlights];
        for (int flight = 0; flight < flights.Length; flight++)
        {
            for (int index = 0; index < flights[flight].Length; index++)
            {
                using TlsConnection server = _profiles.Server.CreateConnection();
                TlsStatus last = TlsStatus.Ok;
                for (int f = 0; f <= flight && last == TlsStatus.Ok; f++)
                {
                    byte[] data = (byte[])flights[f].Clone();
                    if (f == flight)
                    {
                        data[index] ^= 0xFF;
                    }

                    last = Feed(server, data, int.MaxValue);
                }

                AssertConsistent(server, last);
            }
        }
    }

    internal static TlsStatus Feed(TlsConnection server, ReadOnlySpan<byte> bytes, int chunk)
    {
        var plaintext = new ArrayBufferWriter<byte>();
        var output = new ArrayBufferWriter<byte>();
        TlsStatus last = TlsStatus.Ok;
        while (!bytes.IsEmpty)
        {
            int length = Math.Min(chunk, bytes.Length);
            last = server.Receive(bytes[..length], plaintext, output).Status;
            bytes = bytes[length..];
            if (last != TlsStatus.Ok)
            {
                break;
            }
        }

        return last;
    }

    internal static void AssertConsistent(TlsConnection server, TlsStatus last)
    {
        switch (last)
        {
            case TlsStatus.Failed:
                Assert.Equal(TlsConnectionState.Failed, server.State);
                Assert.NotNull(server.Failure);
                break;
            case TlsStatus.PeerClosed:
                Assert.Equal(TlsConnectionState.PeerClosed, server.State);
                break;
            case TlsStatus.Ok:
                Assert.True(server.State is TlsConnectionState.Handshaking or TlsConnectionState.Established, server.State.ToString());
                break;
            default:
                Assert.Fail($"unexpected status {last} (state {server.State})");
                break;
        }
    }

    private static Gen<byte[]> Mutations(byte[] original) =>
        Gen.OneOf(
            // flip bytes
            Gen.Int[0, original.Length - 1].Select(Gen.Byte).Array[1, 12].Select(edits =>
            {
                byte[] copy = (byte[])original.Clone();
                foreach ((int at, byte value) in edits)
                {
                    copy[at] = value;
                }

                return copy;
            }),
            // truncate
            Gen.Int[0, original.Length].Select(length => original[..length]),
            // splice random bytes in
            Gen.Int[0, original.Length].Select(Gen.Byte.Array[1, 64]).Select((at, insert) => (byte[])[.. original[..at], .. insert, .. original[at..]]),
            // repeat a slice
            Gen.Int[0, original.Length - 1].Select(Gen.Int[1, 200]).Select((at, length) =>
            {
                byte[] slice = original[at..Math.Min(original.Length, at + length)];
                return (byte[])[.. original[..at], .. slice, .. slice, .. original[at..]];
            }));

    /// <summary>The profiles every test here uses (made once: contexts are costly), released after the class.</summary>
    public sealed class Profiles : IDisposable
    {
        public Profiles()
        {
            TestPki pki = TestPki.Instance;
            Server = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
            {
                Certificate = pki.ServerEcCertificate,
                PrivateKey = pki.ServerEcKey,
                CaList = pki.RootCaCertificate,
                VerifyClient = VerifyClientMode.Optional,
            });
            Client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings());
            Tls12Client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { Method = TlsMethod.TLSv1_2 });
            using TlsConnection connection = Client.CreateConnection(TestPki.ServerName);
            var hello = new ArrayBufferWriter<byte>();
            connection.Start(hello);
            ClientHello = hello.WrittenSpan.ToArray();
        }

        public TlsProfile Server { get; }

        public TlsProfile Client { get; }

        public TlsProfile Tls12Client { get; }

        public byte[] ClientHello { get; }

        public void Dispose()
        {
            Server.Dispose();
            Client.Dispose();
            Tls12Client.Dispose();
        }
    }
}
