using OpenSslTls.Certificates;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Callbacks;

/// <summary>
/// The validation callback on servers (issue 19, item 2): a server that asks for client certificates shows the
/// client's to the connection's callback, else to its profile's (the SNI-chosen profile's after a switch); true
/// accepts even a chain OpenSSL refused, false refuses with bad_certificate, an exception refuses with internal_error
/// and fails the handshake with a <see cref="TlsCallbackException"/>. On both I/O engines.
/// </summary>
public sealed class ClientCertificateValidationTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    private static TlsProfileSettings AskingServer(TlsCertificateValidationCallback? callback = null) =>
        InMemoryConnectionTests.ServerSettings() with
        {
            CaList = Pki.RootCaCertificate,
            VerifyClient = VerifyClientMode.On,
            CertificateValidation = callback,
        };

    private static TlsProfileSettings ClientWith(string certificate, string key) => InMemoryConnectionTests.ClientSettings() with
    {
        Certificate = certificate,
        PrivateKey = key,
    };

    private static SslEngineOptions Engine(bool shim) => new() { Io = shim ? SslEngineIo.Shim : SslEngineIo.Managed };

    /// <summary>One in-memory handshake; the pair is returned undisposed for inspection (the caller disposes it).</summary>
    private static TlsPair Connect(
        TlsProfile server,
        TlsProfile client,
        bool shim,
        TlsCertificateValidationCallback? connectionCallback = null,
        TlsServerNameSelector? selector = null,
        string serverName = "localhost")
    {
        var pair = new TlsPair(
            server.CreateConnection(NoConnectionObserver.Instance, Engine(shim), serverNameSelector: selector, certificateValidation: connectionCallback),
            client.CreateConnection(NoConnectionObserver.Instance, Engine(shim), serverName));
        pair.Handshake();
        return pair;
    }

    private static void AssertClientGotAlert(TlsPair pair, string reason)
    {
        OpenSslException failure = Assert.IsType<OpenSslException>(pair.Client.Failure);
        Assert.True(
            failure.Errors.Any(e => e.Reason.Contains(reason, StringComparison.Ordinal)),
            $"expected the client to receive '{reason}', got: {failure.Message}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_profile_callback_sees_the_client_certificate_and_its_accept_lets_it_in(bool shim)
    {
        TlsCertificateValidation? seen = null;
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, AskingServer(v =>
        {
            seen = v;
            return true;
        }));
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientWith(Pki.ClientCertificate, Pki.ClientKey));
        using TlsPair pair = Connect(server, client, shim);

        Assert.True(pair.Server.State == TlsConnectionState.Established, pair.Server.Failure?.Message);
        Assert.NotNull(seen);
        Assert.True(seen.IsClientCertificate);
        Assert.True(seen.Verified);
        Assert.Equal(0, seen.VerifyResult);
        Assert.Equal(0, seen.ErrorDepth);
        Assert.Null(seen.ExpectedName);
        Assert.Equal("alice", seen.Certificate.Subject.CommonName);
        Assert.True(seen.Chain.Count >= 2, $"chain of {seen.Chain.Count}");
        Assert.Equal(seen.Pem.Trim(), seen.Chain[0].Trim());
        using (var x509 = seen.CreateX509Certificate2())
        {
            Assert.Contains("CN=alice", x509.Subject, StringComparison.Ordinal);
        }

        Assert.True(pair.Server.Info!.PeerVerified);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_refusal_of_a_verified_client_certificate_fails_the_handshake_with_bad_certificate(bool shim)
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, AskingServer(v => v.Certificate.Subject.CommonName != "alice"));
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientWith(Pki.ClientCertificate, Pki.ClientKey));
        using TlsPair pair = Connect(server, client, shim);

        Assert.Equal(TlsConnectionState.Failed, pair.Server.State);
        Assert.Contains("validation callback refused", pair.Server.Failure!.Message, StringComparison.Ordinal);
        AssertClientGotAlert(pair, "bad certificate");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_callback_may_accept_a_chain_OpenSSL_refused_and_a_refusal_keeps_OpenSSLs_alert(bool shim)
    {
        TlsCertificateValidation? seen = null;
        using TlsProfile lenient = TlsProfile.Create(TlsRole.Server, AskingServer(v =>
        {
            seen = v;
            return true;
        }));
        using TlsProfile strict = TlsProfile.Create(TlsRole.Server, AskingServer(_ => false));
        using TlsProfile untrusted = TlsProfile.Create(TlsRole.Client, ClientWith(Pki.UntrustedClientCertificate, Pki.UntrustedClientKey));

        using (TlsPair accepted = Connect(lenient, untrusted, shim))
        {
            Assert.True(accepted.Server.State == TlsConnectionState.Established, accepted.Server.Failure?.Message);
            Assert.False(seen!.Verified);
            Assert.NotEqual(0, seen.VerifyResult);
            Assert.False(string.IsNullOrEmpty(seen.VerifyResultText));
        }

        using TlsPair refused = Connect(strict, untrusted, shim);
        Assert.Equal(TlsConnectionState.Failed, refused.Server.State);
        AssertClientGotAlert(refused, "unknown ca");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_connection_callback_beats_the_profile_callback(bool shim)
    {
        int profileCalls = 0;
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, AskingServer(_ =>
        {
            profileCalls++;
            return false;
        }));
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientWith(Pki.ClientCertificate, Pki.ClientKey));

        using (TlsPair accepted = Connect(server, client, shim, connectionCallback: _ => true))
        {
            Assert.True(accepted.Server.State == TlsConnectionState.Established, accepted.Server.Failure?.Message);
        }

        using (TlsPair refused = Connect(server, client, shim))
        {
            Assert.Equal(TlsConnectionState.Failed, refused.Server.State);
        }

        Assert.Equal(1, profileCalls);

        // And the other way round: a connection callback refuses what the profile (none) would let in.
        using TlsProfile plain = TlsProfile.Create(TlsRole.Server, AskingServer());
        using TlsPair overridden = Connect(plain, client, shim, connectionCallback: _ => false);
        Assert.Equal(TlsConnectionState.Failed, overridden.Server.State);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_throwing_callback_fails_the_handshake_with_TlsCallbackException_and_an_internal_error_alert(bool shim)
    {
        var thrown = new InvalidOperationException("client registry unavailable");
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, AskingServer(_ => throw thrown));
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientWith(Pki.ClientCertificate, Pki.ClientKey));
        using TlsPair pair = Connect(server, client, shim);

        Assert.Equal(TlsConnectionState.Failed, pair.Server.State);
        TlsCallbackException failure = Assert.IsType<TlsCallbackException>(pair.Server.Failure);
        Assert.Same(thrown, failure.InnerException);
        Assert.Equal("certificate validation callback", failure.Callback);
        AssertClientGotAlert(pair, "internal error");
    }

    [Fact]
    public void After_an_SNI_switch_the_chosen_profiles_callback_decides()
    {
        int chosenCalls = 0;
        using TlsProfile initial = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), label: "server:default");
        using TlsProfile named = TlsProfile.Create(TlsRole.Server, AskingServer(_ =>
        {
            chosenCalls++;
            return false;
        }) with
        {
            Certificate = Pki.SniServerCertificate,
            PrivateKey = Pki.SniServerKey,
            ServerName = TestPki.SniServerName,
        }, label: "server:sni");
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, ClientWith(Pki.ClientCertificate, Pki.ClientKey));

        using TlsPair pair = Connect(initial, client, shim: true, selector: (_, name) => name == TestPki.SniServerName ? named : null, serverName: TestPki.SniServerName);

        Assert.Same(named, pair.Server.Profile);
        Assert.Equal(1, chosenCalls);
        Assert.Equal(TlsConnectionState.Failed, pair.Server.State);
        AssertClientGotAlert(pair, "bad certificate");
    }
}
