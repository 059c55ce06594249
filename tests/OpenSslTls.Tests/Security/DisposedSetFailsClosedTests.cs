using System.Diagnostics;
using System.Net;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Issue 15, item 6: a connection whose profile set was disposed under it fails its handshake on SNI instead of going
/// on with the address-selected profile (which skipped the SNI profile's rules); and concurrent disposes of
/// connections racing reloads never release a generation twice, so the module's current set stays usable.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed class DisposedSetFailsClosedTests : NativeLeakCheck
{
    private const string Sni = TestPki.SniServerName;

    private static TestPki Pki => TestPki.Instance;

    private static void WriteConfig(TlsConfigFile config) => File.WriteAllText(config.Path, $"""
        [server:default]
        certificate = {Pki.ServerEcCertificate}
        private_key = {Pki.ServerEcKey}

        [server:any]
        server_name = {Sni}
        certificate = {Pki.SniServerCertificate}
        private_key = {Pki.SniServerKey}
        verify_client = on
        ca_list = {Pki.RootCaCertificate}

        [client:default]
        """);

    [Fact]
    public void A_handshake_naming_a_server_fails_when_its_set_was_disposed()
    {
        using var config = new TlsConfigFile();
        WriteConfig(config);
        TlsProfileSet set = TlsProfileSet.Load(config.Options());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings());
        using TlsConnection server = set.CreateServerConnection(TlsConfigFile.Local);

        set.Dispose();
        using var pair = new TlsPair(server, client.CreateConnection(Sni));

        Assert.False(pair.Handshake(), $"served on {pair.Server.Profile.Label} after its set was disposed");
        Assert.Equal(TlsConnectionState.Failed, pair.Server.State);
        Assert.IsType<ObjectDisposedException>(pair.Server.Failure?.InnerException);
    }

    [Fact]
    public void Concurrent_disposes_racing_reloads_keep_the_current_set_usable()
    {
        using var config = new TlsConfigFile();
        WriteConfig(config);
        using TlsModule module = TlsModule.Create(config.Options());
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { Certificate = Pki.ClientCertificate, PrivateKey = Pki.ClientKey });
        var clock = Stopwatch.StartNew();
        int rounds = 0;
        while (rounds < 3000 && clock.Elapsed < TimeSpan.FromSeconds(45))
        {
            TlsConnection[] connections = [module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote)];
            bool reload = rounds % 8 == 0;
            using var start = new Barrier(5);
            Parallel.For(0, 5, new ParallelOptions { MaxDegreeOfParallelism = 5 }, worker =>
            {
                start.SignalAndWait();
                if (worker == 4)
                {
                    if (reload)
                    {
                        Assert.True(module.Reload().Succeeded);
                    }

                    return;
                }

                // Two threads per connection, disposing at the same time.
                connections[worker / 2].Dispose();
            });

            rounds++;
            if (rounds % 250 == 0)
            {
                AssertUsable(module, client);
            }
        }

        Assert.True(rounds >= 500, $"only {rounds} rounds in {clock.Elapsed}");
        Assert.Equal(0, module.Info().OpenedConnections);
        Assert.Equal(1, module.Info().LiveGenerations);
        AssertUsable(module, client);
    }

    private static void AssertUsable(TlsModule module, TlsProfile client)
    {
        using var withSni = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), client.CreateConnection(Sni));
        Assert.True(withSni.Handshake(), withSni.Server.Failure?.Message ?? withSni.Client.Failure?.Message);
        Assert.Equal($"server:any/{Sni}", withSni.Server.Profile.Label);
        Assert.True(withSni.Server.Info!.PeerVerified);

        using var plain = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), client.CreateConnection());
        Assert.True(plain.Handshake(), plain.Server.Failure?.Message ?? plain.Client.Failure?.Message);
        Assert.Equal("server:default", plain.Server.Profile.Label);
    }
}
