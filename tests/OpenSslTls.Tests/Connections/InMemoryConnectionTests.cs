using System.Buffers;
using System.Text;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Connections;

/// <summary>Client and server connections of this library talking to each other through memory.</summary>
public sealed class InMemoryConnectionTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    internal static TlsProfileSettings ServerSettings(TlsMethod method = TlsMethod.TLSv1_2Plus) => new()
    {
        Method = method,
        Certificate = Pki.ServerEcCertificate,
        PrivateKey = Pki.ServerEcKey,
    };

    internal static TlsProfileSettings ClientSettings(TlsMethod method = TlsMethod.TLSv1_2Plus) => new()
    {
        Method = method,
        CaList = Pki.RootCaCertificate,
        VerifyCertificate = true,
    };

    [Theory]
    [InlineData(TlsMethod.TLSv1_3, "TLSv1.3")]
    [InlineData(TlsMethod.TLSv1_2, "TLSv1.2")]
    [InlineData(TlsMethod.TLSv1_2Plus, "TLSv1.3")]
    public void Handshake_completes_and_data_flows_both_ways(TlsMethod method, string expectedProtocol)
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings(method));
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings(method));
        using var pair = new TlsPair(server, client, "localhost");

        Assert.True(pair.Handshake(), $"server {pair.Server.State} {pair.Server.Failure?.Message}; client {pair.Client.State} {pair.Client.Failure?.Message}");
        pair.ClientSend("OPTIONS sip:localhost SIP/2.0\r\n\r\n"u8);
        pair.Pump();
        pair.ServerSend("SIP/2.0 200 OK\r\n\r\n"u8);
        pair.Pump();

        Assert.Equal("OPTIONS sip:localhost SIP/2.0\r\n\r\n", Encoding.ASCII.GetString(pair.ServerReceived.WrittenSpan));
        Assert.Equal("SIP/2.0 200 OK\r\n\r\n", Encoding.ASCII.GetString(pair.ClientReceived.WrittenSpan));
        Assert.Equal(expectedProtocol, pair.Server.Info!.Protocol);
        Assert.Equal(expectedProtocol, pair.Client.Info!.Protocol);
        Assert.True(pair.Client.Info.PeerVerified);
        Assert.Equal("localhost", pair.Server.Info.ServerName);
    }

    [Fact]
    public void Ciphertext_delivered_one_byte_at_a_time_still_decrypts()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        using var pair = new TlsPair(server, client);

        pair.ClientSend(Encoding.ASCII.GetBytes(new string('x', 3000)));
        pair.Pump(chunkSize: 1);

        Assert.Equal(TlsConnectionState.Established, pair.Server.State);
        Assert.Equal(3000, pair.ServerReceived.WrittenCount);
    }

    [Fact]
    public void Receiving_into_a_small_span_returns_the_rest_on_later_calls()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        using var pair = new TlsPair(server, client);
        Assert.True(pair.Handshake());
        byte[] message = Enumerable.Range(0, 10000).Select(i => (byte)i).ToArray();
        var records = new ArrayBufferWriter<byte>();
        Assert.Equal(TlsStatus.Ok, pair.Client.Send(message, records).Status);

        ReadOnlySpan<byte> pending = records.WrittenSpan;
        var received = new List<byte>();
        Span<byte> buffer = stackalloc byte[1000];
        for (int call = 0; call < 100 && received.Count < message.Length; call++)
        {
            TlsResult result = pair.Server.Receive(pending, buffer, new ArrayBufferWriter<byte>(), out int consumed, out int written);
            Assert.Equal(TlsStatus.Ok, result.Status);
            Assert.InRange(written, 0, buffer.Length);
            received.AddRange(buffer[..written].ToArray());
            pending = pending[consumed..];
        }

        Assert.Equal(message, received.ToArray());
        Assert.True(pending.IsEmpty);
    }

    [Fact]
    public void Plaintext_sent_before_the_handshake_is_queued_and_arrives_in_order()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        using var pair = new TlsPair(server, client);

        pair.ClientSend("first;"u8);
        Assert.Equal(TlsStatus.Queued, pair.LastClientResult.Status);
        pair.ClientSend("second;"u8);
        pair.ClientSend("third"u8);
        Assert.Equal(18, pair.Client.QueuedBytes);
        pair.Pump();

        Assert.Equal(TlsConnectionState.Established, pair.Client.State);
        Assert.Equal(0, pair.Client.QueuedBytes);
        Assert.Equal("first;second;third", Encoding.ASCII.GetString(pair.ServerReceived.WrittenSpan));
    }

    [Fact]
    public void The_per_connection_queue_cap_refuses_an_add_that_would_exceed_it()
    {
        var runtime = new TlsRuntimeParameters { ConnectionClearTextQueueMax = 100 };
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings(), runtime: runtime);
        using var pair = new TlsPair(server, client);

        pair.ClientSend(new byte[60]);
        Assert.Equal(TlsStatus.Queued, pair.LastClientResult.Status);
        pair.ClientSend(new byte[41]);
        Assert.Equal(TlsStatus.QueueFull, pair.LastClientResult.Status);
        pair.ClientSend(new byte[40]);
        Assert.Equal(TlsStatus.Queued, pair.LastClientResult.Status);
        Assert.Equal(100, pair.Client.QueuedBytes);
        Assert.Equal(100, runtime.ClearTextQueuedBytes);

        pair.Pump();
        Assert.Equal(100, pair.ServerReceived.WrittenCount);
        Assert.Equal(0, runtime.ClearTextQueuedBytes);
    }

    [Fact]
    public void The_global_queue_cap_is_shared_by_all_connections()
    {
        var runtime = new TlsRuntimeParameters { ClearTextQueueMax = 1000, ConnectionClearTextQueueMax = 800 };
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings(), runtime: runtime);
        using TlsConnection first = client.CreateConnection();
        using TlsConnection second = client.CreateConnection();
        var sink = new ArrayBufferWriter<byte>();

        Assert.Equal(TlsStatus.Queued, first.Send(new byte[700], sink).Status);
        Assert.Equal(TlsStatus.QueueFull, second.Send(new byte[301], sink).Status);
        Assert.Equal(TlsStatus.Queued, second.Send(new byte[300], sink).Status);
        Assert.Equal(1000, runtime.ClearTextQueuedBytes);

        first.Dispose();
        Assert.Equal(300, runtime.ClearTextQueuedBytes);
        second.Dispose();
        Assert.Equal(0, runtime.ClearTextQueuedBytes);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("http")]
    [InlineData("oversized-record")]
    public void Garbage_ciphertext_fails_the_connection_without_throwing(string kind)
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsConnection connection = server.CreateConnection();
        byte[] input = kind switch
        {
            "garbage" => Enumerable.Range(0, 512).Select(i => (byte)(i * 37)).ToArray(),
            "http" => "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(),
            _ => [0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00, 0xff, 0xff],
        };
        var output = new ArrayBufferWriter<byte>();

        TlsResult result = connection.Receive(input, new ArrayBufferWriter<byte>(), output);

        Assert.Equal(TlsStatus.Failed, result.Status);
        Assert.Equal(TlsConnectionState.Failed, connection.State);
        Assert.NotNull(connection.Failure);

        // None of these is a plausible ClientHello: refused by the first-bytes gate before OpenSSL sees them (issue 15).
        Assert.StartsWith("TLS handshake refused: ", Assert.IsType<TlsClientHelloRejectedException>(connection.Failure).Message, StringComparison.Ordinal);
        Assert.Equal(TlsStatus.Failed, connection.Receive(input, new ArrayBufferWriter<byte>(), output).Status);
    }

    [Fact]
    public void A_corrupted_application_record_fails_the_receiver()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        using var pair = new TlsPair(server, client);
        Assert.True(pair.Handshake());
        var record = new ArrayBufferWriter<byte>();
        Assert.Equal(TlsStatus.Ok, pair.Client.Send("INVITE"u8, record).Status);
        byte[] tampered = record.WrittenSpan.ToArray();
        tampered[^1] ^= 0x55;

        TlsResult result = pair.Server.Receive(tampered, new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());

        Assert.Equal(TlsStatus.Failed, result.Status);
        Assert.Contains(Assert.IsType<OpenSslException>(pair.Server.Failure).Errors, e => e.Reason.Contains("bad record mac", StringComparison.OrdinalIgnoreCase)
            || e.Reason.Contains("decryption failed", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_replayed_record_is_rejected()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        using var pair = new TlsPair(server, client);
        Assert.True(pair.Handshake());
        var record = new ArrayBufferWriter<byte>();
        pair.Client.Send("REGISTER"u8, record);
        byte[] bytes = record.WrittenSpan.ToArray();
        var plain = new ArrayBufferWriter<byte>();

        Assert.Equal(TlsStatus.Ok, pair.Server.Receive(bytes, plain, new ArrayBufferWriter<byte>()).Status);
        Assert.Equal(TlsStatus.Failed, pair.Server.Receive(bytes, plain, new ArrayBufferWriter<byte>()).Status);
        Assert.Equal("REGISTER", Encoding.ASCII.GetString(plain.WrittenSpan));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Close_sends_close_notify_only_when_enabled(bool sendCloseNotify)
    {
        var runtime = new TlsRuntimeParameters { SendCloseNotify = sendCloseNotify };
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings(), runtime: runtime);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        using var pair = new TlsPair(server, client);
        Assert.True(pair.Handshake());
        var output = new ArrayBufferWriter<byte>();

        pair.Server.Close(output);

        Assert.Equal(sendCloseNotify, output.WrittenCount > 0);
        if (sendCloseNotify)
        {
            TlsResult result = pair.Client.Receive(output.WrittenSpan, new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());
            Assert.Equal(TlsStatus.PeerClosed, result.Status);
            Assert.Equal(TlsConnectionState.PeerClosed, pair.Client.State);
        }
    }

    [Fact]
    public void Sessions_resume_with_session_cache_on()
    {
        var tuning = new TlsTuning { SessionCache = true };
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings(), tuning);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        TlsSession? session;
        using (var first = new TlsPair(server, client))
        {
            Assert.True(first.Handshake());
            first.ServerSend("x"u8);
            first.Pump();
            Assert.False(first.Client.Info!.SessionReused);
            session = first.Client.GetSession();
        }

        Assert.NotNull(session);
        using (session)
        using (var second = new TlsPair(server, client, resume: session))
        {
            Assert.True(second.Handshake());
            Assert.True(second.Client.Info!.SessionReused);
            Assert.True(second.Server.Info!.SessionReused);
        }
    }

    [Fact]
    public void Sessions_do_not_resume_with_session_cache_off()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings(), new TlsTuning { SessionCache = false });
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        TlsSession? session;
        using (var first = new TlsPair(server, client))
        {
            Assert.True(first.Handshake());
            first.ServerSend("x"u8);
            first.Pump();
            session = first.Client.GetSession();
        }

        using (session)
        using (var second = new TlsPair(server, client, resume: session))
        {
            Assert.True(second.Handshake());
            Assert.False(second.Server.Info!.SessionReused);
        }
    }

    [Fact]
    public void Max_send_fragment_limits_every_application_record()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings(), new TlsTuning { MaxSendFragment = 1024 });
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        using var pair = new TlsPair(server, client);
        Assert.True(pair.Handshake());
        var output = new ArrayBufferWriter<byte>();

        Assert.Equal(TlsStatus.Ok, pair.Server.Send(new byte[5000], output).Status);

        List<int> lengths = TlsRecords.Lengths(output.WrittenSpan);
        Assert.True(lengths.Count >= 5, $"{lengths.Count} records");
        // TLS 1.3 record = plaintext + content type byte + 16-byte tag.
        Assert.All(lengths, length => Assert.InRange(length, 1, 1024 + 1 + 16));
    }

    [Fact]
    public void Connections_presenting_the_same_certificate_share_one_record_of_it_and_of_OpenSSLs_names()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        using var first = new TlsPair(server, client, "localhost");
        using var second = new TlsPair(server, client, "localhost");
        Assert.True(first.Handshake(), first.Server.Failure?.Message);
        Assert.True(second.Handshake(), second.Server.Failure?.Message);

        // Held for each connection's lifetime: at a million idle connections each copy would cost gigabytes.
        TlsConnectionInfo a = first.Server.Info!;
        TlsConnectionInfo b = second.Server.Info!;
        Assert.Same(a.LocalCertificate, b.LocalCertificate);
        Assert.Same(a.CipherDescription, b.CipherDescription);
        Assert.Same(a.Protocol, b.Protocol);
        Assert.Contains("localhost", a.LocalCertificate!.DnsNames);

        // The client side's record of the server's certificate is its own (a peer certificate is never shared).
        Assert.NotSame(first.Client.Info!.PeerCertificate, second.Client.Info!.PeerCertificate);
        Assert.Equal(a.LocalCertificate.Pem, first.Client.Info!.PeerCertificate!.Pem);
    }

    [Fact]
    public void Connection_info_describes_certificates_and_cipher()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings() with { VerifyClient = VerifyClientMode.On, CaList = Pki.RootCaCertificate });
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings() with { Certificate = Pki.ClientCertificate, PrivateKey = Pki.ClientKey });
        using var pair = new TlsPair(server, client, "localhost");
        Assert.True(pair.Handshake(), pair.Server.Failure?.Message);

        TlsConnectionInfo info = pair.Server.Info!;
        Assert.True(info.PeerVerified);
        Assert.Equal("alice", info.PeerCertificate!.Subject.CommonName);
        Assert.Contains("alice@example.test", info.PeerCertificate.Emails);
        Assert.Contains("sip:alice@example.test", info.PeerCertificate.Uris);
        Assert.Equal("OpenSslTls Test Root CA", info.PeerCertificate.Issuer.CommonName);
        Assert.Equal(2, info.PeerCertificate.Version);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", info.PeerCertificate.Pem, StringComparison.Ordinal);
        Assert.True(info.PeerCertificate.NotAfter > DateTimeOffset.UtcNow);
        Assert.Contains("localhost", info.LocalCertificate!.DnsNames);
        Assert.Contains("127.0.0.1", info.LocalCertificate.IpAddresses);
        Assert.Equal(2, info.VerifiedChain.Count);
        Assert.True(info.CipherBits >= 128);
        Assert.Contains(info.CipherName, info.CipherDescription, StringComparison.Ordinal);
        Assert.Same(info, pair.Server.Info);
    }

    [Fact]
    public async Task Disposing_while_another_thread_sends_never_crashes()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, ServerSettings());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        for (int i = 0; i < 20; i++)
        {
            var pair = new TlsPair(server, client);
            Assert.True(pair.Handshake());
            using var start = new Barrier(2);
            var writer = Task.Run(() =>
            {
                var output = new ArrayBufferWriter<byte>();
                start.SignalAndWait();
                for (int n = 0; n < 200; n++)
                {
                    output.ResetWrittenCount();
                    TlsResult result = pair.Client.Send("MESSAGE"u8, output);
                    if (result.Status != TlsStatus.Ok)
                    {
                        Assert.Equal(TlsStatus.Closed, result.Status);
                        return;
                    }
                }
            });
            start.SignalAndWait();
            pair.Dispose();
            await writer.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void Queued_plaintext_is_cleared_before_its_block_goes_back_to_the_shared_pool()
    {
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientSettings());
        byte[] secret = Encoding.ASCII.GetBytes("REGISTER sip:secret.example SIP/2.0 -- queued before the handshake");
        var output = new ArrayBufferWriter<byte>();
        int blockSize = client.Runtime.ClearTextQueueBlockSize;
        using (TlsConnection connection = client.CreateConnection("localhost"))
        {
            Assert.Equal(TlsStatus.Queued, connection.Send(secret, output).Status);
        } // Dispose drops the queue: its block goes back to ArrayPool<byte>.Shared on this thread.

        // The pool hands the block just returned on this thread out first: it must hold no plaintext.
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(blockSize, secret.Length));
        try
        {
            Assert.True(rented.AsSpan().IndexOf(secret.AsSpan(0, 16)) < 0, "the queue's block went back to the pool with its plaintext");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
