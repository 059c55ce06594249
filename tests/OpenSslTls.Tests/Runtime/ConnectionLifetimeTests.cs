using Microsoft.Extensions.Time.Testing;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Module;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Runtime;

/// <summary>
/// Kamailio's two idle limits, watched through the module's sweep on real (in-memory) TLS connections and a fake
/// clock: <c>connection_timeout</c> while no application data has passed on a connection (only its handshake),
/// core <c>tcp_connection_lifetime</c> once data has passed either way; each counts from the last I/O.
/// </summary>
public sealed class ConnectionLifetimeTests : NativeLeakCheck
{
    private static TlsPair Connect(TlsModule module)
    {
        var pair = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), module.OpenConnection(TlsConfigFile.Local));
        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        return pair;
    }

    private static TlsPair Exchange(TlsPair pair)
    {
        pair.ClientSend("OPTIONS sip:a SIP/2.0\r\n\r\n"u8);
        pair.Pump();
        Assert.Equal(25, pair.ServerReceived.WrittenCount);
        return pair;
    }

    private static (TlsModule Module, FakeTimeProvider Time, List<TlsConnection> Expired) Start(TlsConfigFile config, int timeout, int lifetime)
    {
        var time = new FakeTimeProvider();
        TlsModule module = TlsModule.Create(
            config.Options(o => { o.ConnectionTimeout = timeout; o.ConnectionLifetime = lifetime; }),
            new TlsModuleHostOptions { TimeProvider = time });
        var expired = new List<TlsConnection>();
        module.ConnectionExpired += (_, e) => expired.Add(e.Connection);
        return (module, time, expired);
    }

    [Fact]
    public void Connection_timeout_governs_until_application_data_passes_then_tcp_connection_lifetime()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        (TlsModule module, FakeTimeProvider time, List<TlsConnection> expired) = Start(config, timeout: 30, lifetime: 300);
        using (module)
        {
            using TlsPair handshakeOnly = Connect(module);
            using TlsPair talked = Exchange(Connect(module));
            Assert.Equal(30, module.List().Single(row => row.Id == handshakeOnly.Server.Id).TimeoutSeconds);
            Assert.Equal(300, module.List().Single(row => row.Id == talked.Server.Id).TimeoutSeconds);

            time.Advance(TimeSpan.FromSeconds(31));
            module.SweepIdleConnections();
            Assert.Contains(handshakeOnly.Server, expired);
            Assert.Contains(handshakeOnly.Client, expired);
            Assert.DoesNotContain(talked.Server, expired);
            Assert.DoesNotContain(talked.Client, expired);
            Assert.Equal(TlsConnectionState.Closed, handshakeOnly.Server.State);
            Assert.Equal(269, module.List().Single(row => row.Id == talked.Server.Id).TimeoutSeconds);

            time.Advance(TimeSpan.FromSeconds(270));
            module.SweepIdleConnections();
            Assert.Contains(talked.Server, expired);
            Assert.Contains(talked.Client, expired);
        }
    }

    [Fact]
    public void Every_read_or_write_restarts_the_lifetime_and_the_sweep_timer_closes_at_its_end()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        (TlsModule module, FakeTimeProvider time, List<TlsConnection> expired) = Start(config, timeout: 600, lifetime: 60);
        using (module)
        {
            using IDisposable sweeper = module.StartIdleSweeper(TimeSpan.FromSeconds(5));
            using TlsPair pair = Exchange(Connect(module));
            for (int round = 0; round < 5; round++)
            {
                time.Advance(TimeSpan.FromSeconds(50));
                pair.ServerSend("SIP/2.0 200 OK\r\n\r\n"u8);
                pair.Pump();
            }

            Assert.Empty(expired);
            time.Advance(TimeSpan.FromSeconds(65));
            Assert.Contains(pair.Server, expired);
        }
    }

    [Fact]
    public void Handshake_bytes_restart_connection_timeout_but_do_not_hand_over_to_the_lifetime()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        (TlsModule module, FakeTimeProvider time, List<TlsConnection> expired) = Start(config, timeout: 30, lifetime: 5);
        using (module)
        {
            using TlsConnection server = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote);
            using TlsConnection client = module.OpenConnection(TlsConfigFile.Local);
            var toServer = new System.Buffers.ArrayBufferWriter<byte>();
            var toClient = new System.Buffers.ArrayBufferWriter<byte>();
            var ignored = new System.Buffers.ArrayBufferWriter<byte>();
            client.Start(toServer); // the ClientHello: handshake bytes, no data

            time.Advance(TimeSpan.FromSeconds(20));
            server.Receive(toServer.WrittenSpan, ignored, toClient);
            time.Advance(TimeSpan.FromSeconds(20));
            module.SweepIdleConnections();
            Assert.DoesNotContain(server, expired); // 20 s since its ServerHello, under 30; the 5 s lifetime is not its limit
            Assert.Contains(client, expired);        // 40 s since its ClientHello

            time.Advance(TimeSpan.FromSeconds(11));
            module.SweepIdleConnections();
            Assert.Contains(server, expired);
        }
    }

    [Fact]
    public void Zero_expires_a_connection_without_data_at_the_next_sweep_and_minus_one_turns_a_limit_off()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        (TlsModule module, FakeTimeProvider time, List<TlsConnection> expired) = Start(config, timeout: 0, lifetime: -1);
        using (module)
        {
            using TlsPair handshakeOnly = Connect(module);
            using TlsPair talked = Exchange(Connect(module));
            Assert.Equal(-1, module.List().Single(row => row.Id == talked.Server.Id).TimeoutSeconds);

            module.SweepIdleConnections();
            Assert.Contains(handshakeOnly.Server, expired);
            time.Advance(TimeSpan.FromDays(30));
            module.SweepIdleConnections();
            Assert.DoesNotContain(talked.Server, expired);

            module.Runtime.ConnectionTimeout = -1;
            module.Runtime.ConnectionLifetime = 10;
            Assert.Equal("10", module.Options()["tcp_connection_lifetime"]);
            Assert.Equal("-1", module.Options()["connection_timeout"]);
            using TlsPair quiet = Connect(module);
            time.Advance(TimeSpan.FromDays(30));
            module.SweepIdleConnections();
            Assert.DoesNotContain(quiet.Server, expired);
            Assert.Contains(talked.Server, expired);
        }
    }

    [Fact]
    public void Plaintext_queued_before_the_handshake_counts_as_application_data()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        (TlsModule module, FakeTimeProvider time, List<TlsConnection> expired) = Start(config, timeout: 600, lifetime: 10);
        using (module)
        {
            using TlsConnection outbound = module.OpenConnection(TlsConfigFile.Local);
            Assert.Equal(TlsStatus.Queued, outbound.Send("OPTIONS"u8, new System.Buffers.ArrayBufferWriter<byte>()).Status);
            Assert.Equal(10, module.List().Single(row => row.Id == outbound.Id).TimeoutSeconds);

            time.Advance(TimeSpan.FromSeconds(11));
            module.SweepIdleConnections();
            Assert.Contains(outbound, expired);
        }
    }

    [Fact]
    public void Tcp_connection_lifetime_is_read_as_the_core_assignment_a_modparam_and_a_configuration_key()
    {
        var options = new TlsModuleOptions();
        Assert.Equal(120, options.ConnectionLifetime);
        TlsModuleOptionsReader.ApplyModparams(options, "tcp_connection_lifetime=3605\nmodparam(\"tls\", \"connection_timeout\", 60)", "kamailio.cfg");
        Assert.Equal(3605, options.ConnectionLifetime);
        TlsModuleOptionsReader.ApplyModparams(options, "modparam(\"tls\", \"tcp_connection_lifetime\", -1)", "kamailio.cfg");
        Assert.Equal(-1, options.ConnectionLifetime);

        var error = Assert.Throws<Errors.TlsConfigurationException>(() =>
            TlsModuleOptionsReader.ApplyModparams(new TlsModuleOptions(), "tcp_connection_lifetime = -2", "kamailio.cfg"));
        Assert.Equal("kamailio.cfg:1:27: tcp_connection_lifetime must be -1..2147483647, not -2", Assert.Single(error.Errors).ToString());
        Assert.Equal(-1, options.CreateRuntimeParameters().ConnectionLifetime);
        Assert.Contains("modparam(\"tls\", \"tcp_connection_lifetime\", -1)", TlsModuleOptionsReader.ToModparams(options), StringComparison.Ordinal);
    }
}
