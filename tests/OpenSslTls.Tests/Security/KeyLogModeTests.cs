using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Errors;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// keylog_mode's bits as Kamailio acts on them: 1 installs, 2 activates (without it nothing goes anywhere), 4 logs each
/// line, 8 appends to keylog_file, 16 sends each line as one UDP datagram to keylog_peer, 1024 keeps six labels.
/// Every destination is watched receiving the secrets of a real handshake.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KeyLogModeTests : NativeLeakCheck
{
    private static readonly string[] Tls13Labels =
        ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"];

    private static void Connect(TlsModule module)
    {
        var local = new IPEndPoint(IPAddress.Loopback, 5061);
        using var pair = new TlsPair(module.AcceptConnection(local, new IPEndPoint(IPAddress.Loopback, 40001)), module.OpenConnection(local));
        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
    }

    private static List<string> Receive(UdpClient peer, int count)
    {
        var lines = new List<string>();
        peer.Client.ReceiveTimeout = 5000;
        var from = new IPEndPoint(IPAddress.Any, 0);
        while (lines.Count < count)
        {
            lines.Add(Encoding.ASCII.GetString(peer.Receive(ref from)));
        }

        return lines;
    }

    private static string Label(string line) => line[..line.IndexOf(' ', StringComparison.Ordinal)];

    [Fact]
    public void Bit_16_sends_each_line_of_the_handshake_as_one_datagram_to_keylog_peer()
    {
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)peer.Client.LocalEndPoint!).Port;
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string file = Path.Combine(config.Directory, "keys.log");
        using (TlsModule module = TlsModule.Create(config.Options(o =>
        {
            o.KeylogMode = 1 | 2 | 8 | 16;
            o.KeylogFile = file;
            o.KeylogPeer = $"udp:127.0.0.1:{port}";
        })))
        {
            Connect(module);
        }

        // Both ends of the handshake are this module's: each TLS 1.3 secret arrives twice, once per side, and the two
        // copies are equal (same client random, same secret), so these are the keys both ends really derived.
        List<string> datagrams = Receive(peer, 2 * Tls13Labels.Length);
        Assert.All(datagrams, d => Assert.DoesNotContain('\n', d));
        Assert.Equal(Tls13Labels.Order(), datagrams.Select(Label).Distinct().Order());
        Assert.All(datagrams.GroupBy(d => d), group => Assert.Equal(2, group.Count()));
        Assert.Single(datagrams.Select(d => d.Split(' ')[1]).Distinct()); // one client random: one handshake

        // The same lines as keylog_file, in the same order.
        Assert.Equal(File.ReadAllLines(file), datagrams);
        Assert.Equal(0, peer.Available);
    }

    [Fact]
    public void Without_bit_2_nothing_is_logged_anywhere_and_the_log_says_why()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)));
        using var peer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)peer.Client.LocalEndPoint!).Port;
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string file = Path.Combine(config.Directory, "keys.log");
        using (TlsModule module = TlsModule.Create(
            config.Options(o =>
            {
                o.KeylogMode = 1 | 4 | 8 | 16;
                o.KeylogFile = file;
                o.KeylogPeer = $"udp:127.0.0.1:{port}";
            }),
            new TlsModuleHostOptions { LoggerFactory = factory }))
        {
            Connect(module);
        }

        Assert.False(File.Exists(file) && new FileInfo(file).Length > 0);
        Thread.Sleep(200);
        Assert.Equal(0, peer.Available);
        Assert.DoesNotContain(collector.GetSnapshot(), r => r.Message.StartsWith("tlskeylog:", StringComparison.Ordinal));
        Assert.Contains(collector.GetSnapshot(), r =>
            r.Message == "keylog_mode=29 has no effect here: key logging needs bits 1 (initialise) and 2 (active) as in Kamailio, so nothing is logged");
    }

    [Fact]
    public void Bit_4_logs_each_line_at_information_level()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)));
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using (TlsModule module = TlsModule.Create(config.Options(o => o.KeylogMode = 1 | 2 | 4), new TlsModuleHostOptions { LoggerFactory = factory }))
        {
            Connect(module);
        }

        List<FakeLogRecord> lines = collector.GetSnapshot().Where(r => r.Message.StartsWith("tlskeylog: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * Tls13Labels.Length, lines.Count);
        Assert.All(lines, r => Assert.Equal(LogLevel.Information, r.Level));
        Assert.Equal(Tls13Labels.Order(), lines.Select(r => Label(r.Message["tlskeylog: ".Length..])).Distinct().Order());
        Assert.Contains(collector.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("TLS key logging is ON", StringComparison.Ordinal)
            && r.Message.Contains("the log", StringComparison.Ordinal));
    }

    [Fact]
    public void Bit_1024_keeps_the_documented_labels_on_TLS_1_2_and_1_3()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string file = Path.Combine(config.Directory, "keys.log");
        using (TlsModule module = TlsModule.Create(config.Options(o => { o.KeylogMode = 1 | 2 | 8 | 1024; o.KeylogFile = file; })))
        {
            Connect(module);
        }

        // Kamailio's code compares the whole line with "LABEL " and lets nothing through; its documentation's six pass.
        Assert.Equal(Tls13Labels.Order(), File.ReadAllLines(file).Select(Label).Distinct().Order());

        File.WriteAllText(config.Path, $"""
            [server:default]
            method = TLSv1.2
            certificate = {Infrastructure.TestPki.Instance.ServerEcCertificate}
            private_key = {Infrastructure.TestPki.Instance.ServerEcKey}

            [client:default]
            method = TLSv1.2
            verify_certificate = no
            """);
        File.Delete(file);
        using (TlsModule module = TlsModule.Create(config.Options(o => { o.KeylogMode = 1 | 2 | 8 | 1024; o.KeylogFile = file; })))
        {
            Connect(module);
        }

        string[] lines = File.ReadAllLines(file);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.StartsWith("CLIENT_RANDOM ", line, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("CLIENT_RANDOM 00 11", true)]
    [InlineData("client_random 00 11", true)]
    [InlineData("SERVER_TRAFFIC_SECRET_0 00 11", true)]
    [InlineData("EXPORTER_SECRET 00 11", true)]
    [InlineData("CLIENT_EARLY_TRAFFIC_SECRET 00 11", false)]
    [InlineData("EARLY_EXPORTER_SECRET 00 11", false)]
    [InlineData("CLIENT_TRAFFIC_SECRET_1 00 11", false)]
    [InlineData("CLIENT_RANDOMX 00 11", false)]
    public void The_filter_compares_the_label(string line, bool passes) =>
        Assert.Equal(passes, KeyLogSink.PassesFilter(Encoding.ASCII.GetBytes(line)));

    [Fact]
    public void Parameters_without_effect_in_one_process_are_named_in_the_log()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)));
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using (TlsModule.Create(
            config.Options(o =>
            {
                o.XavpConfig = "tls";
                o.ProviderQuirks = true;
                o.ProviderQuirksConfig = "/etc/kamailio/pkcs11.cnf";
                o.InitMode = 3;
            }),
            new TlsModuleHostOptions { LoggerFactory = factory }))
        {
        }

        string[] messages = collector.GetSnapshot().Where(r => r.Level == LogLevel.Information).Select(r => r.Message).ToArray();
        Assert.Contains(messages, m => m.StartsWith("xavp_cfg=tls has no effect here: ", StringComparison.Ordinal) && m.Contains("TlsClientOverride", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("provider_quirks=1 has no effect here: ", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("provider_quirks_config=/etc/kamailio/pkcs11.cnf has no effect here: ", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("init_mode=3 has no effect here: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Key_password_mode_1_is_refused_naming_the_parameter_and_value()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        TlsConfigurationException error = Assert.Throws<TlsConfigurationException>(() => TlsModule.Create(config.Options(o => o.KeyPasswordMode = 1)).Dispose());
        Assert.Contains(error.Errors, e => e.ToString().Contains("key_password_mode 1 (ask for the key password on the terminal at start-up) is not supported", StringComparison.Ordinal));
    }
}
