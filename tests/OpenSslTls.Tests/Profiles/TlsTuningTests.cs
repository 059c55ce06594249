using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;
using OpenSslTls.Connections;

namespace OpenSslTls.Tests.Profiles;

/// <summary>The module-wide parameters, checked on the <c>SSL_CTX</c> OpenSSL actually holds.</summary>
public sealed unsafe class TlsTuningTests : NativeLeakCheck
{
    private static TlsProfile Build(TlsTuning tuning, ILogger? logger = null) =>
        TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), tuning, logger: logger);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tls_disable_compression_never_clears_SSL_OP_NO_COMPRESSION(bool disable)
    {
        // As Kamailio on OpenSSL >= 1.1, where the parameter is a no-op: compression (CRIME) is never enabled.
        using TlsProfile profile = Build(new TlsTuning { DisableCompression = disable });

        ulong options = Ssl.SSL_CTX_get_options(profile.Context.Pointer);

        Assert.NotEqual(0UL, options & Ssl.SSL_OP_NO_COMPRESSION);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ssl_read_ahead_reads_a_burst_of_records_in_fewer_BIO_reads(bool native)
    {
        Skip.IfNot(NativeIoShim.Loaded is not null || !native, NativeIoShim.Status);
        const int Records = 20;

        // Without read-ahead libssl asks its BIO for each record's 5-byte header, then for the rest: two reads per
        // record. With it, libssl asks for a whole buffer at once and finds every record of the burst in it.
        long without = ServerBioReadsForBurst(readAhead: 0, native, Records);
        long with = ServerBioReadsForBurst(readAhead: 1, native, Records);

        Assert.True(without >= 2 * Records, $"read_ahead 0: {without} BIO reads for {Records} records");
        Assert.True(with <= 2, $"read_ahead 1: {with} BIO reads for {Records} records in one burst (read_ahead 0: {without})");
    }

    /// <summary>The server's BIO reads while it decrypts <paramref name="records"/> small records that arrive together.</summary>
    private static long ServerBioReadsForBurst(int readAhead, bool native, int records)
    {
        var engine = new SslEngineOptions { Io = native ? SslEngineIo.Shim : SslEngineIo.Managed };
        using TlsProfile serverProfile = Build(new TlsTuning { ReadAhead = readAhead });
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using TlsConnection server = serverProfile.CreateConnection(NoConnectionObserver.Instance, engine);
        using TlsConnection client = clientProfile.CreateConnection(NoConnectionObserver.Instance, engine, "localhost");
        using var pair = new TlsPair(server, client);
        Assert.True(pair.Handshake());
        Assert.Equal(native, server.Engine is ShimSslEngine);

        long before = server.Engine.BioReadCalls;
        for (int i = 0; i < records; i++)
        {
            pair.ClientSend(new byte[100]);
        }

        pair.Pump();
        Assert.Equal(records * 100, pair.ServerReceived.WrittenCount);
        return server.Engine.BioReadCalls - before;
    }

    [Fact]
    public void Read_ahead_connections_still_deliver_every_record()
    {
        using TlsProfile server = Build(new TlsTuning { ReadAhead = 1 });
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(), new TlsTuning { ReadAhead = 1 });
        using var pair = new TlsPair(server, client);
        Assert.True(pair.Handshake());
        for (int i = 0; i < 10; i++)
        {
            pair.ClientSend(new byte[1400]);
        }

        pair.Pump(chunkSize: 700);
        Assert.Equal(14000, pair.ServerReceived.WrittenCount);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(512)]
    [InlineData(16384)]
    public void Ssl_max_send_fragment_accepts_minus_one_and_512_to_16384(int value)
    {
        using TlsProfile profile = Build(new TlsTuning { MaxSendFragment = value });
        Assert.Equal(value, profile.Tuning.MaxSendFragment);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(511)]
    [InlineData(16385)]
    public void Ssl_max_send_fragment_outside_its_range_is_refused_by_name(int value)
    {
        var error = Assert.Throws<TlsProfileException>(() => Build(new TlsTuning { MaxSendFragment = value }));

        Assert.Contains("ssl_max_send_fragment", error.Message, StringComparison.Ordinal);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_id_longer_than_32_bytes_is_refused()
    {
        var error = Assert.Throws<TlsProfileException>(() => Build(new TlsTuning { SessionId = new string('k', 33) }));

        Assert.Contains("session_id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ssl_freelist_max_len_is_accepted_and_its_no_effect_is_logged()
    {
        var logger = new FakeLogger();

        using TlsProfile first = Build(new TlsTuning { FreelistMaxLength = 10 }, logger);

        // Logged at most once per process; when an earlier test logged it, this logger sees nothing.
        Assert.True(logger.Collector.Count <= 1);
        Assert.All(logger.Collector.GetSnapshot(), record => Assert.Contains("ssl_freelist_max_len", record.Message, StringComparison.Ordinal));
        using TlsProfile second = Build(new TlsTuning { FreelistMaxLength = 10 }, logger);
        Assert.True(logger.Collector.Count <= 1);
    }

    [Fact]
    public void Renegotiation_chooses_between_refusing_and_allowing_client_renegotiation()
    {
        using TlsProfile refusing = Build(new TlsTuning { Renegotiation = false });
        using TlsProfile allowing = Build(new TlsTuning { Renegotiation = true });

        ulong refused = Ssl.SSL_CTX_get_options(refusing.Context.Pointer);
        ulong allowed = Ssl.SSL_CTX_get_options(allowing.Context.Pointer);

        Assert.NotEqual(0UL, refused & Ssl.SSL_OP_NO_RENEGOTIATION);
        Assert.Equal(0UL, refused & Ssl.SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
        Assert.NotEqual(0UL, allowed & Ssl.SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
        Assert.Equal(0UL, allowed & Ssl.SSL_OP_NO_RENEGOTIATION);
    }

    [Fact]
    public void Verify_depth_outside_0_to_100_is_refused()
    {
        var error = Assert.Throws<TlsProfileException>(() =>
            TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings() with { VerifyDepth = 101 }));

        Assert.Equal("verify_depth", error.Parameter);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(100)]
    public void Verify_depth_reaches_the_context(int depth)
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings() with { VerifyDepth = depth });

        Assert.Equal(depth, Ssl.SSL_CTX_get_verify_depth(profile.Context.Pointer));
    }
}
