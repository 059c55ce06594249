using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;

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

    [Theory]
    [InlineData(1, true)]
    [InlineData(0, false)]
    public void Ssl_release_buffers_sets_or_clears_SSL_MODE_RELEASE_BUFFERS(int value, bool expected)
    {
        using TlsProfile profile = Build(new TlsTuning { ReleaseBuffers = value });

        nint mode = Ssl.SSL_CTX_get_mode(profile.Context.Pointer);

        Assert.Equal(expected, (mode & (nint)Ssl.SSL_MODE_RELEASE_BUFFERS) != 0);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(0, 0)]
    public void Ssl_read_ahead_reaches_the_context(int value, int expected)
    {
        using TlsProfile profile = Build(new TlsTuning { ReadAhead = value });

        Assert.Equal(expected, (int)Ssl.SSL_CTX_get_read_ahead(profile.Context.Pointer));
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
