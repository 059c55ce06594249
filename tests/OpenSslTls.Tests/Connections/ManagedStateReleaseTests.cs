using System.Runtime.CompilerServices;
using OpenSslTls.Certificates;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Connections;

/// <summary>
/// The managed states a connection hangs on its SSL (the SNI selector's, the certificate check's) are released with
/// the SSL, so a selector or validation callback, and whatever it captures, never outlives its connections.
/// </summary>
public sealed class ManagedStateReleaseTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    [Fact]
    public void A_disposed_connection_releases_its_selector_and_its_validation_callback()
    {
        using TlsProfile initial = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), label: "server:default");
        using TlsProfile named = NamedServer();
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());

        (WeakReference selectorCapture, WeakReference callbackCapture) = HandshakeAndForget(initial, named, client, dispose: true);

        Collect();
        Assert.False(selectorCapture.IsAlive, "the SNI selector's state outlived its disposed connection");
        Assert.False(callbackCapture.IsAlive, "the certificate check's state outlived its disposed connection");
    }

    [Fact]
    public void A_connection_dropped_without_dispose_releases_them_when_its_ssl_is_finalised()
    {
        using TlsProfile initial = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), label: "server:default");
        using TlsProfile named = NamedServer();
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());

        (WeakReference selectorCapture, WeakReference callbackCapture) = HandshakeAndForget(initial, named, client, dispose: false);

        // First collection: the SSL handles' finalisers free the SSLs and their states; the second collects the states.
        Collect();
        Collect();
        Assert.False(selectorCapture.IsAlive, "the SNI selector's state outlived its finalised SSL");
        Assert.False(callbackCapture.IsAlive, "the certificate check's state outlived its finalised SSL");
    }

    private static TlsProfile NamedServer() => TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
    {
        Certificate = Pki.SniServerCertificate,
        PrivateKey = Pki.SniServerKey,
        ServerName = TestPki.SniServerName,
    }, label: "server:sni");

    // Not inlined, so no local of the caller's frame keeps the captured objects alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Selector, WeakReference Callback) HandshakeAndForget(TlsProfile initial, TlsProfile named, TlsProfile client, bool dispose)
    {
        var selectorCapture = new object();
        var callbackCapture = new object();
        TlsServerNameSelector selector = (current, name) => selectorCapture is not null && name == TestPki.SniServerName ? named : null;
        TlsCertificateValidationCallback callback = validation => callbackCapture is not null && validation.Verified;

        var pair = new TlsPair(
            initial.CreateConnection(serverNameSelector: selector),
            client.CreateConnection(TestPki.SniServerName, certificateValidation: callback));
        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        Assert.Same(named, pair.Server.Profile);
        if (dispose)
        {
            pair.Dispose();
        }

        return (new WeakReference(selectorCapture), new WeakReference(callbackCapture));
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
