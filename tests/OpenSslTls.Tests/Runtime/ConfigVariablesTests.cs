using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Module;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Runtime;

/// <summary>
/// Kamailio's cfg group <c>tls</c> (<c>cfg.get</c>/<c>cfg.set</c>) over a module, driven through the admin command
/// code <c>ctl</c> uses: every variable the documentation calls runtime-changeable is writable with Kamailio's range,
/// every other one refused by name, and each change is watched taking effect on connections, not read back.
/// </summary>
public sealed class ConfigVariablesTests : NativeLeakCheck
{
    // The variables the seed documentation shows with "cfg.set_now_int tls …" / "cfg.set_now_string tls …".
    private static readonly string[] s_documentedRuntime =
        ["connection_timeout", "send_close_notify", "con_ct_wq_max", "ct_wq_max", "ct_wq_blk_size", "log", "debug", "low_mem_threshold1", "low_mem_threshold2", "config"];

    private static TlsPair Connect(TlsModule module)
    {
        var pair = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), module.OpenConnection(TlsConfigFile.Local));
        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        return pair;
    }

    private static string Ok(TlsModule module, string command, string arguments)
    {
        (bool ok, string reply) = AdminCommands.Run(module, command, arguments, json: false);
        Assert.True(ok, $"{command} {arguments}: {reply}");
        return reply;
    }

    private static string Refused(TlsModule module, string command, string arguments)
    {
        (bool ok, string reply) = AdminCommands.Run(module, command, arguments, json: false);
        Assert.False(ok, $"{command} {arguments} was accepted: {reply}");
        return reply;
    }

    [Fact]
    public void Exactly_the_documented_runtime_variables_are_writable_with_Kamailios_ranges()
    {
        Assert.Equal(s_documentedRuntime.Order(), TlsConfigVariables.WritableNames.Order());
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        foreach ((string name, int min, int max) in new[]
        {
            ("log", 0, 1000), ("debug", 0, 1000), ("connection_timeout", -1, int.MaxValue), ("low_mem_threshold1", -1, 1 << 30),
            ("low_mem_threshold2", -1, 1 << 30), ("ct_wq_max", 0, 1 << 30), ("con_ct_wq_max", 0, 4 << 20), ("ct_wq_blk_size", 1, 65536),
            ("send_close_notify", 0, 1),
        })
        {
            string before = module.ConfigVariables.Get(name)!;
            foreach (long bad in new[] { (long)min - 1, (long)max + 1 })
            {
                string reply = Refused(module, "cfg.set", $"tls {name} {bad}");
                Assert.Contains($"tls.{name} must be {min}..{max}, not {bad}", reply, StringComparison.Ordinal);
                Assert.Equal(before, module.ConfigVariables.Get(name));
            }

            Ok(module, "cfg.set_now_int", $"tls {name} {min}");
            Assert.Equal(min.ToString(System.Globalization.CultureInfo.InvariantCulture), module.ConfigVariables.Get(name));
            Ok(module, "cfg.seti", $"tls {name} {max}");
            Assert.Equal(max.ToString(System.Globalization.CultureInfo.InvariantCulture), module.ConfigVariables.Get(name));
        }

        // cfg.set_now_int on a string variable takes the number's text, as Kamailio converts it.
        Ok(module, "cfg.set_now_int", "tls config 7");
        Assert.Equal(Path.Combine(config.Directory, "7"), module.Runtime.Config);
    }

    [Fact]
    public void Read_only_unknown_and_mistyped_variables_are_refused_by_name_and_nothing_changes()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        foreach (string readOnly in TlsConfigVariables.Names.Except(TlsConfigVariables.WritableNames))
        {
            string value = TlsConfigVariables.IsInteger(readOnly) ? "1" : "x";
            string reply = Refused(module, "cfg.set", $"tls {readOnly} {value}");
            Assert.Contains($"tls.{readOnly} is read-only", reply, StringComparison.Ordinal);
            var error = Assert.Throws<TlsConfigVariableException>(() => module.ConfigVariables.Set(readOnly, value));
            Assert.Equal(TlsConfigVariableError.ReadOnly, error.Error);
            Assert.Equal($"tls.{readOnly}", error.Variable);
        }

        // Read-only is checked before the value's type, as Kamailio does.
        Assert.Contains("tls.verify_depth is read-only", Refused(module, "cfg.set_now_int", "tls verify_depth many"), StringComparison.Ordinal);

        Assert.Contains("no variable tls.frobnicate", Refused(module, "cfg.set", "tls frobnicate 1"), StringComparison.Ordinal);
        Assert.Contains("no variable tls.frobnicate", Refused(module, "cfg.get", "tls frobnicate"), StringComparison.Ordinal);
        Assert.Contains("the modparam tls_log is the variable tls.log", Refused(module, "cfg.set", "tls tls_log 1"), StringComparison.Ordinal);
        Assert.Contains("renegotiation is a modparam with no runtime variable", Refused(module, "cfg.set", "tls renegotiation 1"), StringComparison.Ordinal);
        Assert.Contains("unknown configuration group 'core'", Refused(module, "cfg.set", "core debug 3"), StringComparison.Ordinal);

        Assert.Contains("tls.connection_timeout takes an integer, not 'soon'", Refused(module, "cfg.set", "tls connection_timeout soon"), StringComparison.Ordinal);
        Assert.Contains("tls.connection_timeout takes an integer, not 'soon'", Refused(module, "cfg.set_now_string", "tls connection_timeout soon"), StringComparison.Ordinal);
        Assert.Contains("cfg.set_now_int takes an integer value, not '12s'", Refused(module, "cfg.set_now_int", "tls connection_timeout 12s"), StringComparison.Ordinal);
        Assert.Contains("needs a group, a variable and a value", Refused(module, "cfg.set", "tls connection_timeout"), StringComparison.Ordinal);
        Assert.Equal(600, module.Runtime.ConnectionTimeout);
    }

    [Fact]
    public void Cfg_get_lists_every_variable_in_Kamailios_order_with_start_values_and_masks_the_password()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(o => { o.PrivateKeyPassword = "hunter2"; o.VerifyDepth = 4; o.LogLevel = 2; }));
        string all = Ok(module, "cfg.get", "tls");
        string[] names = [.. all.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[..line.IndexOf(':', StringComparison.Ordinal)])];
        Assert.Equal(TlsConfigVariables.Names, names);
        Assert.Equal("force_run", names[0]);
        // Kamailio's group ends with send_close_notify; our additions (the cluster parameters, read-only) follow it.
        Assert.Equal("send_close_notify", names[^7]);
        Assert.Equal(["cluster_address", "cluster_key_file", "cluster_rotation", "cluster_window", "cluster_lookup_timeout", "cluster_key_prefix"], names[^6..]);
        Assert.Contains("verify_depth: 4\n", all, StringComparison.Ordinal);
        Assert.Contains("log: 2\n", all, StringComparison.Ordinal);
        Assert.Contains($"config: {config.Path}\n", all, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", all, StringComparison.Ordinal);
        Assert.Equal("4\n", Ok(module, "cfg.get", "tls verify_depth"));

        (bool ok, string json) = AdminCommands.Run(module, "cfg.get", "tls log", json: true);
        Assert.True(ok, json);
        using (var document = System.Text.Json.JsonDocument.Parse(json))
        {
            Assert.Equal(2, document.RootElement.GetProperty("log").GetInt32());
        }

        Assert.Equal("tls.log: 2 -> 5\n", Ok(module, "cfg.set", "tls log 5"));
        Assert.Equal(5, module.Runtime.LogLevel);
    }

    [Fact]
    public void Log_and_debug_change_the_level_connection_messages_are_logged_at()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { LoggerFactory = factory });

        LogLevel EstablishedLevel()
        {
            collector.Clear();
            using (Connect(module))
            {
            }

            return collector.GetSnapshot().First(record => record.Id.Id == 10).Level;
        }

        LogLevel CreatedLevel() => collector.GetSnapshot().First(record => record.Id.Id == 16 && record.Message.Contains("created", StringComparison.Ordinal)).Level;

        Assert.Equal(LogLevel.Debug, EstablishedLevel());
        Assert.Equal(LogLevel.Debug, CreatedLevel());

        Ok(module, "cfg.set", "tls log 0");
        Ok(module, "cfg.set_now_int", "tls debug 1");
        Assert.Equal(LogLevel.Warning, EstablishedLevel());
        Assert.Equal(LogLevel.Information, CreatedLevel());
    }

    [Fact]
    public void Queue_caps_and_block_size_set_at_runtime_bound_the_next_writes_before_the_handshake()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        var output = new ArrayBufferWriter<byte>();
        byte[] data = new byte[200];

        using (TlsConnection before = module.OpenConnection(TlsConfigFile.Local))
        {
            Assert.Equal(TlsStatus.Queued, before.Send(data, output).Status);
        }

        Ok(module, "cfg.set", "tls con_ct_wq_max 150");
        using (TlsConnection capped = module.OpenConnection(TlsConfigFile.Local))
        {
            Assert.Equal(TlsStatus.QueueFull, capped.Send(data, output).Status);
            Assert.Equal(TlsStatus.Queued, capped.Send(data.AsSpan(0, 150), output).Status);
        }

        Ok(module, "cfg.set", "tls con_ct_wq_max 65536");
        Ok(module, "cfg.set", "tls ct_wq_max 100");
        using (TlsConnection global = module.OpenConnection(TlsConfigFile.Local))
        {
            Assert.Equal(TlsStatus.QueueFull, global.Send(data, output).Status);
        }

        // Two small writes share one block when blocks are large, and need two when the smallest block is 1 byte.
        Ok(module, "cfg.set", "tls ct_wq_max 10485760");
        using (TlsConnection large = module.OpenConnection(TlsConfigFile.Local))
        {
            large.Send(data.AsSpan(0, 20), output);
            large.Send(data.AsSpan(0, 20), output);
            Assert.Equal(1, large.QueueBlockCount);
        }

        Ok(module, "cfg.set", "tls ct_wq_blk_size 1");
        using (TlsConnection small = module.OpenConnection(TlsConfigFile.Local))
        {
            small.Send(data.AsSpan(0, 20), output);
            small.Send(data.AsSpan(0, 20), output);
            Assert.Equal(2, small.QueueBlockCount);
        }
    }

    [Fact]
    public void Low_memory_thresholds_set_at_runtime_refuse_connections_and_io()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(
            config.Options(o => { o.LowMemoryThreshold1 = 0; o.LowMemoryThreshold2 = 0; }),
            new TlsModuleHostOptions { AvailableMemoryKilobytes = () => 4096, MemoryProbeInterval = TimeSpan.Zero });
        using TlsPair pair = Connect(module);

        Ok(module, "cfg.set", "tls low_mem_threshold1 8192");
        var refused = Assert.Throws<TlsLowMemoryException>(() => module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote));
        Assert.Equal(8192, refused.ThresholdKilobytes);
        pair.ClientSend("still served"u8);
        pair.Pump();
        Assert.Equal("still served", System.Text.Encoding.ASCII.GetString(pair.ServerReceived.WrittenSpan));

        Ok(module, "cfg.set", "tls low_mem_threshold2 8192");
        Assert.Equal(TlsStatus.Failed, pair.Server.Send("x"u8, new ArrayBufferWriter<byte>()).Status);
        Assert.IsType<TlsLowMemoryException>(pair.Server.Failure);

        Ok(module, "cfg.set", "tls low_mem_threshold1 0");
        module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote).Dispose();
    }

    [Fact]
    public void Send_close_notify_set_at_runtime_decides_whether_closing_sends_the_alert()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        using TlsPair quiet = Connect(module);
        using TlsPair polite = Connect(module);

        var silence = new ArrayBufferWriter<byte>();
        quiet.Server.Close(silence);
        Assert.Equal(0, silence.WrittenCount);

        Ok(module, "cfg.set", "tls send_close_notify 1");
        var alert = new ArrayBufferWriter<byte>();
        polite.Server.Close(alert);
        Assert.True(alert.WrittenCount > 0, "no close_notify was sent");
        TlsResult seen = polite.Client.Receive(alert.WrittenSpan, new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());
        Assert.Equal(TlsStatus.PeerClosed, seen.Status);
    }

    [Fact]
    public void Connection_timeout_set_at_runtime_expires_a_connection_that_never_did_io()
    {
        var time = new FakeTimeProvider();
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { TimeProvider = time });
        using TlsConnection waiting = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(module.SweepIdleConnections());
        Assert.InRange(module.List().Single().TimeoutSeconds, 500, 600);

        Ok(module, "cfg.set", "tls connection_timeout 20");
        Assert.Equal(0, module.List().Single().TimeoutSeconds);
        Assert.Same(waiting, Assert.Single(module.SweepIdleConnections()));
    }

    [Fact]
    public void Config_set_at_runtime_switches_a_modparam_module_to_the_file_at_the_next_reload()
    {
        TestPki pki = TestPki.Instance;
        using var config = new TlsConfigFile();
        config.WriteServer(pki.SniServerCertificate, pki.SniServerKey);
        var options = new TlsModuleOptions
        {
            Certificate = pki.ServerEcCertificate,
            PrivateKey = pki.ServerEcKey,
            VerifyCertificate = false,
            MainConfigDirectory = config.Directory,
        };
        using TlsModule module = TlsModule.Create(options);
        using (TlsPair before = Connect(module))
        {
            Assert.Equal(TestPki.ServerName, before.Client.Info!.PeerCertificate!.Subject.CommonName);
        }

        Assert.Contains("No TLS configuration file configured", Refused(module, "tls.reload", string.Empty), StringComparison.Ordinal);

        // Relative to the main configuration directory, as Kamailio resolves it; nothing changes before the reload.
        Ok(module, "cfg.set_now_string", "tls config tls.cfg");
        Assert.Equal(config.Path, module.ConfigVariables.Get("config"));
        using (TlsPair unchanged = Connect(module))
        {
            Assert.Equal(TestPki.ServerName, unchanged.Client.Info!.PeerCertificate!.Subject.CommonName);
        }

        Assert.Contains("reloaded", Ok(module, "tls.reload", string.Empty), StringComparison.Ordinal);
        using TlsPair after = Connect(module);
        Assert.Equal(TestPki.SniServerName, after.Client.Info!.PeerCertificate!.Subject.CommonName);
    }

    [Fact]
    public void Tls_list_shows_flags_timestamps_and_buffers_as_they_are()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { TimeProvider = time });
        var server = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote);
        var client = module.OpenConnection(TlsConfigFile.Local);
        using var pair = new TlsPair(server, client);
        DateTimeOffset created = time.GetUtcNow();

        // Before the handshake: the client's write waits (flag 1, queued), the server holds 3 bytes of a ClientHello.
        var hello = new ArrayBufferWriter<byte>();
        Assert.Equal(TlsStatus.Queued, client.Send("early"u8, hello).Status);
        server.Receive(hello.WrittenSpan[..3], new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());
        TlsConnectionSummary serverRow = module.List().Single(row => row.Id == server.Id);
        TlsConnectionSummary clientRow = module.List().Single(row => row.Id == client.Id);
        Assert.Equal(TlsConnectionSummary.FlagWriteWantsRead, clientRow.Flags);
        Assert.Equal(5, clientRow.QueuedBytes);
        Assert.Equal(0, serverRow.Flags);
        Assert.Equal(3, serverRow.EncryptedReadBytes);
        Assert.Equal(created, serverRow.Created);

        var fresh = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote);
        using var handshake = new TlsPair(fresh, module.OpenConnection(TlsConfigFile.Local));
        time.Advance(TimeSpan.FromSeconds(7));
        Assert.True(handshake.Handshake());
        time.Advance(TimeSpan.FromSeconds(2));
        TlsConnectionSummary established = module.List().Single(row => row.Id == fresh.Id);
        Assert.Equal(TlsConnectionSummary.FlagHandshaked, established.Flags);
        Assert.Equal(created, established.Created);
        Assert.Equal(created + TimeSpan.FromSeconds(7), established.LastActivity);
        Assert.True(established.ReleasesBuffers);
        Assert.Equal(0, established.EncryptedReadBytes);

        // Half a record on the wire: OpenSSL holds it. A record into a small buffer: OpenSSL holds the decrypted rest.
        var record = new ArrayBufferWriter<byte>();
        Assert.Equal(TlsStatus.Ok, handshake.Client.Send(new byte[100], record).Status);
        byte[] wire = record.WrittenSpan.ToArray();
        fresh.Receive(wire.AsSpan(0, 10), new byte[200], new ArrayBufferWriter<byte>(), out int consumed, out _);
        Assert.Equal(10, consumed);
        Assert.Equal(10, module.List().Single(row => row.Id == fresh.Id).EncryptedReadBytes);
        fresh.Receive(wire.AsSpan(10), new byte[30], new ArrayBufferWriter<byte>(), out _, out int written);
        Assert.Equal(30, written);
        TlsConnectionSummary holding = module.List().Single(row => row.Id == fresh.Id);
        Assert.Equal(0, holding.EncryptedReadBytes);
        Assert.Equal(70, holding.PendingPlaintextBytes);

        string text = Ok(module, "tls.list", string.Empty);
        Assert.Contains("\tflags: 2\n", text, StringComparison.Ordinal);
        Assert.Contains("\tenc_rd_buf: 3\n", text, StringComparison.Ordinal);
        Assert.Contains("\trd_pending: 70\n", text, StringComparison.Ordinal);
        Assert.Contains("\tsrc_ip: 127.0.0.1\n\tsrc_port: 40000\n\tdst_ip: 127.0.0.1\n\tdst_port: 5061\n", text, StringComparison.Ordinal);
        Assert.Contains($"\ttimestamp: {created.ToLocalTime():yyyy-MM-dd HH:mm:ss}\n", text, StringComparison.Ordinal);
        Assert.Contains("\tsni: N/A\n", text, StringComparison.Ordinal);
        Assert.Contains("\trelease_buffers: 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_list_reports_an_ssl_that_keeps_its_buffers()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(o => o.ReleaseBuffers = 0));
        using TlsPair pair = Connect(module);
        Assert.All(module.List(), row => Assert.False(row.ReleasesBuffers));
    }
}
