using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Security review of the defaults (issue #9 item 5): TLS 1.2 or later unless configured otherwise, never compression,
/// never insecure legacy renegotiation and no client-initiated renegotiation by default. Each fact is read from what
/// OpenSSL holds and shown against a real <c>openssl s_client</c>.
/// </summary>
public sealed unsafe class SecureDefaultsTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = OpenSslInterop.Timeout;

    private static TestPki Pki => TestPki.Instance;

    /// <summary>The default server profile as each configuration path builds it, with no method configured anywhere.</summary>
    public static TheoryData<string> Sources() => ["settings", "modparams", "tls.cfg"];

    /// <summary>Builds the default server profile of <paramref name="source"/>; dispose the returned owner after the profile.</summary>
    private static (TlsProfile Profile, IDisposable Owner) DefaultServer(string source, string directory)
    {
        switch (source)
        {
            case "settings":
                TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey });
                return (profile, profile);
            case "modparams":
                TlsProfileSet fromModparams = TlsProfileSet.Load(new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey });
                return (fromModparams.ServerDefault, fromModparams);
            default:
                string config = Path.Combine(directory, "tls.cfg");
                File.WriteAllText(config, $"""
                    [server:default]
                    certificate = {Pki.ServerEcCertificate}
                    private_key = {Pki.ServerEcKey}

                    [client:default]
                    """);
                TlsProfileSet fromFile = TlsProfileSet.Load(new TlsModuleOptions { Config = config, MainConfigDirectory = directory });
                return (fromFile.ServerDefault, fromFile);
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void The_default_method_is_TLSv1_2_plus_wherever_the_profile_comes_from(string source)
    {
        using var directory = new Configuration.TempDirectory();
        (TlsProfile profile, IDisposable owner) = DefaultServer(source, directory.Path);
        using (owner)
        {
            Assert.Equal(TlsMethod.TLSv1_2Plus, profile.Settings.Method);
            Assert.Equal(Ssl.TLS1_2_VERSION, (int)Ssl.SSL_CTX_get_min_proto_version(profile.Context.Pointer));
            Assert.Equal(0, (int)Ssl.SSL_CTX_get_max_proto_version(profile.Context.Pointer)); // 0: up to the highest OpenSSL has
        }

        Assert.Equal(TlsMethod.TLSv1_2Plus, new TlsModuleOptions().Method);
    }

    [Theory]
    [InlineData("settings", "-tls1")]
    [InlineData("settings", "-tls1_1")]
    [InlineData("modparams", "-tls1_1")]
    [InlineData("tls.cfg", "-tls1_1")]
    public void A_default_profile_refuses_TLS_1_0_and_1_1_from_s_client(string source, string version)
    {
        using var directory = new Configuration.TempDirectory();
        (TlsProfile profile, IDisposable owner) = DefaultServer(source, directory.Path);
        using (owner)
        {
            // @SECLEVEL=0 makes s_client really offer the old version (at OpenSSL 3's default level it would give up
            // before sending anything, which would prove nothing about the server).
            (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, version, "-cipher", "DEFAULT:@SECLEVEL=0");
            using (client)
            using (peer)
            {
                Assert.False(peer.WaitForHandshake(Timeout), client.Output);
                Assert.Equal(TlsConnectionState.Failed, peer.Connection.State);
                Assert.Contains(Assert.IsType<OpenSslException>(peer.Connection.Failure).Errors, e => e.Reason.Contains("unsupported protocol", StringComparison.Ordinal));
                Assert.True(client.WaitForOutput(OpenSslOutput.ClientNoHandshake, Timeout), client.Output);
            }
        }
    }

    [Theory]
    [InlineData("settings", "-tls1_2", "TLSv1.2")]
    [InlineData("settings", "-tls1_3", "TLSv1.3")]
    [InlineData("modparams", "-tls1_2", "TLSv1.2")]
    [InlineData("tls.cfg", "-tls1_2", "TLSv1.2")]
    [InlineData("tls.cfg", null, "TLSv1.3")]
    public void A_default_profile_negotiates_TLS_1_2_and_1_3(string source, string? version, string expected)
    {
        using var directory = new Configuration.TempDirectory();
        (TlsProfile profile, IDisposable owner) = DefaultServer(source, directory.Path);
        using (owner)
        {
            (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, version is null ? [] : [version]);
            using (client)
            using (peer)
            {
                Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message ?? client.Output);
                Assert.Equal(expected, peer.Connection.Info!.Protocol);
                client.WriteLine("OPTIONS sip:x SIP/2.0");
                Assert.True(peer.WaitForText("OPTIONS sip:x SIP/2.0\n", Timeout), client.Output);
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Compression_is_never_negotiated_whatever_tls_disable_compression_says(bool disableCompression)
    {
        var logger = new FakeLogger();
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Method = TlsMethod.TLSv1_2,
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = Pki.ServerEcKey,
        }, new TlsTuning { DisableCompression = disableCompression }, logger: logger);

        Assert.NotEqual(0UL, Ssl.SSL_CTX_get_options(profile.Context.Pointer) & Ssl.SSL_OP_NO_COMPRESSION);

        // s_client -comp asks for compression (TLS 1.2 is the last version that has it at all).
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2", "-comp");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message ?? client.Output);
            SSL* ssl = SecurityTestSupport.EngineOf(peer.Connection).Pointer;
            Assert.True(Ssl.SSL_get_current_compression(ssl) == null);
            Assert.True(Ssl.SSL_get_current_expansion(ssl) == null);
            Assert.NotEqual(0UL, Ssl.SSL_get_options(ssl) & Ssl.SSL_OP_NO_COMPRESSION);
            Assert.True(client.WaitForOutput("Compression: NONE", Timeout), client.Output);
        }

        // Asking for compression is accepted for compatibility and said to have no effect (logged once per process).
        Assert.All(logger.Collector.GetSnapshot(), record => Assert.Contains("tls_disable_compression=0 has no effect", record.Message, StringComparison.Ordinal));
        Assert.True(disableCompression ? logger.Collector.Count == 0 : logger.Collector.Count <= 1);
    }

    [Fact]
    public void The_default_refuses_client_renegotiation_on_TLS_1_2_and_never_allows_unsafe_legacy_renegotiation()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = Pki.ServerEcKey,
        });
        ulong contextOptions = Ssl.SSL_CTX_get_options(profile.Context.Pointer);
        Assert.NotEqual(0UL, contextOptions & Ssl.SSL_OP_NO_RENEGOTIATION);
        Assert.Equal(0UL, contextOptions & Ssl.SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
        Assert.Equal(0UL, contextOptions & Ssl.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION);
        Assert.Equal(0UL, contextOptions & Ssl.SSL_OP_LEGACY_SERVER_CONNECT);

        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message ?? client.Output);

            // RFC 5746: the secure renegotiation extension was exchanged, and the connection's own options say the same.
            Assert.True(client.WaitForOutput("Secure Renegotiation IS supported", Timeout), client.Output);
            SSL* ssl = SecurityTestSupport.EngineOf(peer.Connection).Pointer;
            Assert.Equal(1, (int)Ssl.SSL_ctrl(ssl, Ssl.SSL_CTRL_GET_RI_SUPPORT, 0, null));
            Assert.Equal(0UL, Ssl.SSL_get_options(ssl) & (Ssl.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION | Ssl.SSL_OP_ALLOW_CLIENT_RENEGOTIATION));

            client.WriteLine("R");
            Assert.True(client.WaitForOutput(OpenSslOutput.ClientRenegotiating, Timeout), client.Output);
            client.WriteLine("after");

            // Refused with a no_renegotiation alert (Kamailio's guard drops the connection instead); nothing after it is read.
            Assert.True(client.WaitUntil(output => output.Contains("no renegotiation", StringComparison.Ordinal), Timeout), client.Output);
            Assert.False(peer.WaitForText("after", TimeSpan.FromSeconds(1)), peer.Text);
        }
    }

    [Fact]
    public void Renegotiation_on_allows_only_secure_renegotiation()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = Pki.ServerEcKey,
        }, new TlsTuning { Renegotiation = true });
        ulong options = Ssl.SSL_CTX_get_options(profile.Context.Pointer);

        Assert.NotEqual(0UL, options & Ssl.SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
        Assert.Equal(0UL, options & (Ssl.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION | Ssl.SSL_OP_LEGACY_SERVER_CONNECT));
    }

    [Fact]
    public void The_renegotiation_guard_leaves_TLS_1_3_key_updates_alone()
    {
        // As Kamailio: TLS 1.3 has no renegotiation, and its KeyUpdate must keep working with renegotiation = 0.
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = Pki.ServerEcCertificate,
            PrivateKey = Pki.ServerEcKey,
        });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_3");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message ?? client.Output);
            client.WriteLine("K"); // KeyUpdate, requesting one back
            Assert.True(client.WaitForOutput(OpenSslOutput.ClientKeyUpdate, Timeout), client.Output);
            client.WriteLine("after update");
            Assert.True(peer.WaitForText("after update\n", Timeout), client.Output);
            Assert.Equal(TlsConnectionState.Established, peer.Connection.State);
        }
    }
}
