using System.Net.Security;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Connections;

/// <summary>ALPN (RFC 7301): offered by client profiles, selected by server profiles, reported as a connection fact.</summary>
public sealed class ApplicationProtocolTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = OpenSslInterop.Timeout;
    private static readonly SslApplicationProtocol Sip = new("sip"u8.ToArray());

    private static TestPki Pki => TestPki.Instance;

    private static TlsProfile Server(params SslApplicationProtocol[] protocols) =>
        TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings() with { ApplicationProtocols = protocols });

    private static TlsProfile Client(params SslApplicationProtocol[] protocols) =>
        TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings() with { ApplicationProtocols = protocols });

    [Theory]
    [InlineData(TlsMethod.TLSv1_3)]
    [InlineData(TlsMethod.TLSv1_2)]
    public void The_server_selects_by_its_own_preference_among_what_the_client_offers(TlsMethod method)
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method) with
        {
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        });
        using TlsProfile client = Client(Sip, SslApplicationProtocol.Http11, SslApplicationProtocol.Http2);
        using var pair = new TlsPair(server, client, "localhost");

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Equal(SslApplicationProtocol.Http2, pair.Server.Info!.ApplicationProtocol);
        Assert.Equal(SslApplicationProtocol.Http2, pair.Client.Info!.ApplicationProtocol);
    }

    [Fact]
    public void A_client_offering_none_of_the_servers_protocols_is_refused_with_no_application_protocol()
    {
        using TlsProfile server = Server(SslApplicationProtocol.Http2);
        using TlsProfile client = Client(Sip);
        using var pair = new TlsPair(server, client, "localhost");

        Assert.False(pair.Handshake());
        Assert.Equal(TlsConnectionState.Failed, pair.Server.State);
        Assert.Contains(Assert.IsType<OpenSslException>(pair.Server.Failure).Errors, e => e.Reason.Contains("no application protocol", StringComparison.Ordinal));
        Assert.Contains(Assert.IsType<OpenSslException>(pair.Client.Failure).Errors, e => e.Reason.Contains("alert no application protocol", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_an_offer_or_without_a_server_list_no_protocol_is_negotiated()
    {
        using TlsProfile alpnServer = Server(SslApplicationProtocol.Http2);
        using TlsProfile plainClient = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        using (var pair = new TlsPair(alpnServer, plainClient, "localhost"))
        {
            Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
            Assert.Null(pair.Server.Info!.ApplicationProtocol);
            Assert.Null(pair.Client.Info!.ApplicationProtocol);
        }

        using TlsProfile plainServer = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        using TlsProfile alpnClient = Client(SslApplicationProtocol.Http2);
        using (var pair = new TlsPair(plainServer, alpnClient, "localhost"))
        {
            Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
            Assert.Null(pair.Server.Info!.ApplicationProtocol);
            Assert.Null(pair.Client.Info!.ApplicationProtocol);
        }
    }

    [Fact]
    public void After_an_SNI_switch_the_chosen_profiles_protocols_apply()
    {
        using TlsProfile initial = Server(SslApplicationProtocol.Http2);
        using TlsProfile named = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = Pki.SniServerCertificate,
            PrivateKey = Pki.SniServerKey,
            ServerName = TestPki.SniServerName,
            ApplicationProtocols = [Sip],
        });
        using TlsProfile client = Client(Sip);
        TlsServerNameSelector selector = (current, name) => name == TestPki.SniServerName ? named : null;
        using var pair = new TlsPair(initial, client, TestPki.SniServerName, selector: selector);

        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Same(named, pair.Server.Profile);
        Assert.Equal(Sip, pair.Server.Info!.ApplicationProtocol);
        Assert.Equal(Sip, pair.Client.Info!.ApplicationProtocol);
    }

    [Fact]
    public void A_host_giving_every_connection_the_same_fallback_list_pays_no_allocation_for_it_and_a_changed_list_applies()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings());
        using TlsProfile client = Client(SslApplicationProtocol.Http11, SslApplicationProtocol.Http2);
        SslApplicationProtocol[] endpoint = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

        // As a Kestrel endpoint does: one list for every connection it accepts.
        using TlsConnection first = server.CreateConnection();
        first.SetFallbackApplicationProtocols(endpoint);
        TlsConnection second = server.CreateConnection(); // the pair below disposes it
        long before = GC.GetAllocatedBytesForCurrentThread();
        second.SetFallbackApplicationProtocols(endpoint);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"setting the same fallback list again allocated {allocated} bytes");
        using (var pair = new TlsPair(second, client.CreateConnection("localhost")))
        {
            Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
            Assert.Equal(SslApplicationProtocol.Http2, pair.Server.Info!.ApplicationProtocol);
        }

        // An equal list in another array is the same list; a changed one is converted anew, never served from the cache.
        TlsConnection third = server.CreateConnection();
        third.SetFallbackApplicationProtocols([SslApplicationProtocol.Http11]);
        using (var pair = new TlsPair(third, client.CreateConnection("localhost")))
        {
            Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
            Assert.Equal(SslApplicationProtocol.Http11, pair.Server.Info!.ApplicationProtocol);
        }
    }

    [Fact]
    public void A_resumed_session_negotiates_again()
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(TlsMethod.TLSv1_3) with
        {
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        }, new TlsTuning { SessionCache = true });
        using TlsProfile first = Client(SslApplicationProtocol.Http2);
        TlsSession session;
        using (var pair = new TlsPair(server, first, "localhost"))
        {
            Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
            pair.Pump();
            session = pair.Client.GetSession() ?? throw new InvalidOperationException("no session after the first handshake");
        }

        using (session)
        using (var resumed = new TlsPair(server, first, "localhost", resume: session))
        {
            Assert.True(resumed.Handshake(), resumed.Server.Failure?.Message ?? resumed.Client.Failure?.Message);
            Assert.True(resumed.Client.Info!.SessionReused);
            Assert.Equal(SslApplicationProtocol.Http2, resumed.Client.Info.ApplicationProtocol);
            Assert.Equal(SslApplicationProtocol.Http2, resumed.Server.Info!.ApplicationProtocol);
        }
    }

    [Fact]
    public void An_empty_protocol_is_refused_when_the_profile_is_built()
    {
        var error = Assert.Throws<TlsProfileException>(() => Server(SslApplicationProtocol.Http2, default));

        Assert.Equal("application_protocols", error.Parameter);
        Assert.Contains("1..255 bytes, not 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Our_client_negotiates_with_s_server_and_s_server_sees_the_offer_in_order()
    {
        using TlsProfile client = Client(Sip, SslApplicationProtocol.Http11);
        using OpenSslProcess server = OpenSslProcess.StartServer("-cert", Pki.ServerEcCertificate, "-key", Pki.ServerEcKey, "-alpn", "h2,http/1.1");
        using SocketTlsPeer peer = OpenSslInterop.Connect(server, client, "localhost");

        Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message);
        Assert.Equal(SslApplicationProtocol.Http11, peer.Connection.Info!.ApplicationProtocol);
        Assert.True(server.WaitForOutput("ALPN protocols advertised by the client: sip, http/1.1", Timeout), server.Output);
    }

    [Fact]
    public void s_client_gets_the_protocol_our_server_prefers()
    {
        using TlsProfile server = Server(SslApplicationProtocol.Http2, SslApplicationProtocol.Http11);
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(server, "-alpn", "http/1.1,h2");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message);
            Assert.Equal(SslApplicationProtocol.Http2, peer.Connection.Info!.ApplicationProtocol);
            Assert.True(client.WaitForOutput("ALPN protocol: h2", Timeout), client.Output);
        }
    }
}
