using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Module;

namespace OpenSslTls.Tests.Runtime;

// Process-wide: the thousand-reloads test bounds the managed heap, which parallel tests would grow.
[Collection(ProcessWideCollection.Name)]
public sealed class TlsModuleTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    private static TlsPair Connect(TlsModule module)
    {
        var pair = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), module.OpenConnection(TlsConfigFile.Local));
        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        return pair;
    }

    [Fact]
    public void Concurrent_disposes_of_one_connection_release_its_generation_once()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        for (int round = 0; round < 50; round++)
        {
            TlsConnection connection = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote);
            using var start = new Barrier(4);
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
            {
                start.SignalAndWait();
                connection.Dispose();
            });

            // A second release would have dropped the current generation's last reference and freed its profiles.
            Assert.Equal(0, module.Info().OpenedConnections);
            Assert.Equal(1, module.Info().LiveGenerations);
        }

        using TlsPair pair = Connect(module);
        Assert.Equal(TlsConnectionState.Established, pair.Server.State);
    }

    [Fact]
    public void The_last_connections_of_a_superseded_generation_closing_at_once_leave_only_the_current_one_live()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        for (int round = 0; round < 1000; round++)
        {
            // Two connections of the generation a reload supersedes, closed at the same moment: each used to see the
            // other's reference and leave the freed generation in the live list.
            TlsConnection first = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote);
            TlsConnection second = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote);
            TlsReloadResult reload = module.Reload();
            Assert.True(reload.Succeeded, string.Join("; ", reload.Errors));
            using var start = new Barrier(2);
            Parallel.Invoke(
                new ParallelOptions { MaxDegreeOfParallelism = 2 },
                () =>
                {
                    start.SignalAndWait();
                    first.Dispose();
                },
                () =>
                {
                    start.SignalAndWait();
                    second.Dispose();
                });

            Assert.Equal(0, module.Info().OpenedConnections);
            Assert.Equal(1, module.Info().LiveGenerations);
        }
    }

    [Fact]
    public void Reload_serves_the_new_certificate_while_an_older_connection_keeps_working()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        using TlsPair before = Connect(module);
        Assert.Equal(TestPki.ServerName, before.Client.Info!.PeerCertificate!.Subject.CommonName);

        config.WriteServer(Pki.SniServerCertificate, Pki.SniServerKey);
        TlsReloadResult result = module.Reload();

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal(2, result.Generation);
        using (TlsPair after = Connect(module))
        {
            Assert.Equal(TestPki.SniServerName, after.Client.Info!.PeerCertificate!.Subject.CommonName);
            Assert.Equal(2, module.Info().LiveGenerations);
        }

        before.ClientSend("OPTIONS after reload"u8);
        before.Pump();
        Assert.Equal("OPTIONS after reload", System.Text.Encoding.ASCII.GetString(before.ServerReceived.WrittenSpan));
        Assert.Equal(1, module.List().Single(row => row.Id == before.Server.Id).Generation);
    }

    [Fact]
    public void A_broken_reload_returns_every_error_and_keeps_serving_the_old_certificate()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        string missing = Path.Combine(config.Directory, "missing.pem");
        File.WriteAllText(config.Path, $"""
            [server:default]
            certificate = {missing}
            private_key = {missing}
            bogus_key = 1

            [client:default]
            """);

        TlsReloadResult result = module.Reload();

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.Generation);
        Assert.Contains(result.Errors, error => error.Contains("bogus_key", StringComparison.Ordinal));
        using TlsPair pair = Connect(module);
        Assert.Equal(TestPki.ServerName, pair.Client.Info!.PeerCertificate!.Subject.CommonName);

        config.WriteServer(missing, missing);
        TlsReloadResult unreadable = module.Reload();
        Assert.False(unreadable.Succeeded);
        Assert.Contains(unreadable.Errors, error => error.Contains(missing, StringComparison.Ordinal));
    }

    [Fact]
    public void A_thousand_reloads_with_open_connections_leave_native_objects_flat()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        var open = Enumerable.Range(0, 3).Select(_ => Connect(module)).ToList();
        Assert.True(module.Reload().Succeeded);
        long contextsAfterFirstReload = LiveInThisTest(NativeObjectKind.SslContext);
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);

        for (int i = 0; i < 1000; i++)
        {
            Assert.True(module.Reload().Succeeded);
        }

        Assert.Equal(contextsAfterFirstReload, LiveInThisTest(NativeObjectKind.SslContext));
        Assert.Equal(2, module.Info().LiveGenerations); // the current one and the one the open connections use
        long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(managedAfter - managedBefore < 2 * 1024 * 1024, $"managed heap grew by {managedAfter - managedBefore} bytes");

        // Closing the last connections of generation 1 frees its two contexts at once (no reload needed).
        open.ForEach(pair => pair.Dispose());
        Assert.Equal(1, module.Info().LiveGenerations);
        Assert.Equal(contextsAfterFirstReload - 2, LiveInThisTest(NativeObjectKind.SslContext));
    }

    [Fact]
    public void Config_changed_at_run_time_takes_effect_at_the_next_reload()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        string other = Path.Combine(config.Directory, "other.cfg");
        File.WriteAllText(other, $"""
            [server:default]
            certificate = {Pki.SniServerCertificate}
            private_key = {Pki.SniServerKey}
            """);

        module.Runtime.Config = other;
        using (TlsPair unchanged = Connect(module))
        {
            Assert.Equal(TestPki.ServerName, unchanged.Client.Info!.PeerCertificate!.Subject.CommonName);
        }

        Assert.True(module.Reload().Succeeded);
        using TlsPair changed = Connect(module);
        Assert.Equal(TestPki.SniServerName, changed.Client.Info!.PeerCertificate!.Subject.CommonName);
        Assert.Equal(other, module.Options()["config"]);
    }

    [Fact]
    public void Lowering_con_ct_wq_max_at_run_time_makes_a_queued_write_fail()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        using TlsConnection client = module.OpenConnection(TlsConfigFile.Local);
        var output = new System.Buffers.ArrayBufferWriter<byte>();

        Assert.Equal(TlsStatus.Queued, client.Send(new byte[1000], output).Status);
        module.Runtime.ConnectionClearTextQueueMax = 1500;
        Assert.Equal(TlsStatus.QueueFull, client.Send(new byte[1000], output).Status);
        Assert.Equal("1500", module.Options()["con_ct_wq_max"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => module.Runtime.ConnectionClearTextQueueMax = 5 * 1024 * 1024);
    }

    [Fact]
    public void Send_close_notify_changed_at_run_time_applies_to_open_connections()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        using TlsPair pair = Connect(module);
        var output = new System.Buffers.ArrayBufferWriter<byte>();

        module.Runtime.SendCloseNotify = true;
        pair.Server.Close(output);

        Assert.True(output.WrittenCount > 0);
    }

    [Fact]
    public void Kill_closes_the_connection_and_tells_the_host()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        using TlsPair pair = Connect(module);
        TlsConnectionEventArgs? killed = null;
        module.ConnectionKilled += (_, e) => killed = e;

        Assert.True(module.Kill(pair.Server.Id));

        Assert.Same(pair.Server, killed?.Connection);
        Assert.Equal(TlsConnectionState.Closed, pair.Server.State);
        Assert.Equal(TlsStatus.Closed, pair.Server.Send("x"u8, new System.Buffers.ArrayBufferWriter<byte>()).Status);
        Assert.False(module.Kill(987654));
    }

    [Fact]
    public void Idle_connections_expire_after_connection_timeout_and_never_with_minus_one()
    {
        var time = new FakeTimeProvider();
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(o => o.ConnectionTimeout = 30), new TlsModuleHostOptions { TimeProvider = time });
        using TlsPair idle = Connect(module);
        using TlsPair busy = Connect(module);
        var expired = new List<TlsConnection>();
        module.ConnectionExpired += (_, e) => expired.Add(e.Connection);
        using IDisposable sweeper = module.StartIdleSweeper(TimeSpan.FromSeconds(5));

        time.Advance(TimeSpan.FromSeconds(20));
        busy.ClientSend("keep-alive"u8);
        busy.Pump();
        Assert.Empty(expired);
        Assert.InRange(module.List().Single(row => row.Id == idle.Server.Id).TimeoutSeconds, 5, 10);

        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Contains(idle.Server, expired);
        Assert.Contains(idle.Client, expired);
        Assert.DoesNotContain(busy.Server, expired);
        Assert.Equal(TlsConnectionState.Closed, idle.Server.State);

        // busy carried data, so tcp_connection_lifetime is its limit now (ConnectionLifetimeTests); both off: never.
        module.Runtime.ConnectionTimeout = -1;
        module.Runtime.ConnectionLifetime = -1;
        time.Advance(TimeSpan.FromHours(5));
        Assert.DoesNotContain(busy.Server, expired);
    }

    [Fact]
    public void Low_memory_thresholds_refuse_new_connections_and_fail_io_as_configured()
    {
        long available = 10_000;
        var time = new FakeTimeProvider();
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(
            config.Options(o => { o.LowMemoryThreshold1 = 5000; o.LowMemoryThreshold2 = 2000; }),
            new TlsModuleHostOptions { TimeProvider = time, AvailableMemoryKilobytes = () => available, MemoryProbeInterval = TimeSpan.Zero });
        using TlsPair pair = Connect(module);

        available = 3000;
        var error = Assert.Throws<TlsLowMemoryException>(() => module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote));
        Assert.Equal(5000, error.ThresholdKilobytes);
        pair.ClientSend("still fine"u8);
        pair.Pump();
        Assert.Equal(10, pair.ServerReceived.WrittenCount);

        available = 1000;
        Assert.Equal(TlsStatus.Failed, pair.Server.Send("x"u8, new System.Buffers.ArrayBufferWriter<byte>()).Status);
        Assert.Contains("low_mem_threshold2", pair.Server.Failure!.Message, StringComparison.Ordinal);
        Assert.IsType<TlsLowMemoryException>(pair.Server.Failure);

        module.Runtime.LowMemoryThreshold1 = 0;
        module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote).Dispose();
    }

    [Fact]
    public void Info_list_and_options_describe_the_module()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(o => o.PrivateKeyPassword = "hunter2"));
        using TlsPair pair = Connect(module);
        using TlsConnection pending = module.OpenConnection(TlsConfigFile.Local);
        pending.Send(new byte[100], new System.Buffers.ArrayBufferWriter<byte>());

        TlsModuleInfo info = module.Info();
        Assert.Equal(3, info.OpenedConnections);
        Assert.Equal(3, info.MaxConnections);
        Assert.Equal(100, info.ClearTextQueuedBytes);

        TlsConnectionSummary server = module.List().Single(row => row.Id == pair.Server.Id);
        Assert.Equal("TLSv1.3", server.Version);
        Assert.Equal("server:default", server.Profile);
        Assert.Equal(TlsConfigFile.Remote.ToString(), server.Source);
        Assert.Contains("TLS_", server.CipherDescription, StringComparison.Ordinal);
        Assert.Equal(100, module.List().Single(row => row.Id == pending.Id).QueuedBytes);

        IReadOnlyDictionary<string, string?> options = module.Options();
        Assert.Equal("600", options["connection_timeout"]);
        Assert.Equal("TLSv1.2+", options["tls_method"]);
        Assert.DoesNotContain("hunter2", string.Join(",", options.Values), StringComparison.Ordinal);
    }

    [Fact]
    public void Events_report_outbound_connections_and_handshake_failures()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        var events = new List<TlsConnectionEventArgs>();
        module.OutboundConnectionEstablished += (_, e) => events.Add(e);
        module.HandshakeFailed += (_, e) => events.Add(e);

        using (TlsPair pair = Connect(module))
        {
            TlsConnectionEventArgs outbound = Assert.Single(events);
            Assert.Equal("tls:connection-out", outbound.EventName);
            Assert.Same(pair.Client, outbound.Connection);
        }

        events.Clear();
        using TlsConnection server = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote);
        server.Receive("GET / HTTP/1.1\r\n\r\n"u8, new System.Buffers.ArrayBufferWriter<byte>(), new System.Buffers.ArrayBufferWriter<byte>());
        TlsConnectionEventArgs failed = Assert.Single(events);
        Assert.Equal("tls:handshake-failed", failed.EventName);
        Assert.NotNull(failed.Error);
    }

    [Fact]
    public void Event_callback_runs_the_handler_it_names_for_each_outbound_connection_only()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        var seen = new List<(TlsConnectionEventArgs Event, TlsConnectionState State)>();
        int others = 0;
        var host = new TlsModuleHostOptions();
        host.EventHandlers["ksr_tls_event"] = e => seen.Add((e, e.Connection.State));
        host.EventHandlers["other"] = _ => others++;
        using TlsModule module = TlsModule.Create(config.Options(o => o.EventCallback = "ksr_tls_event"), host);
        Assert.Equal("ksr_tls_event", module.EventCallback);

        using (TlsPair pair = Connect(module))
        using (TlsPair second = Connect(module))
        {
            // One call per outbound handshake (the accepted side raises none), after it completed.
            Assert.Equal(2, seen.Count);
            Assert.Equal(TlsModule.ConnectionOutEvent, seen[0].Event.EventName);
            Assert.Same(pair.Client, seen[0].Event.Connection);
            Assert.Same(second.Client, seen[1].Event.Connection);
            Assert.Equal(TlsConnectionState.Established, seen[0].State);
            Assert.Equal("TLSv1.3", seen[0].Event.Connection.Info!.Protocol);
        }

        Assert.Equal(0, others);
    }

    [Fact]
    public void A_failing_event_callback_is_logged_and_the_connection_goes_on()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        using var config = new TlsConfigFile();
        config.WriteDefault();
        var host = new TlsModuleHostOptions { LoggerFactory = factory };
        host.EventHandlers["broken"] = _ => throw new InvalidOperationException("script error");
        using TlsModule module = TlsModule.Create(config.Options(o => o.EventCallback = "broken"), host);

        using (TlsPair pair = Connect(module))
        {
            Assert.Equal(TlsConnectionState.Established, pair.Client.State);
            FakeLogRecord record = Assert.Single(collector.GetSnapshot(), r => r.Level == LogLevel.Error);
            Assert.Equal($"event_callback broken failed for tls:connection-out on connection {pair.Client.Id}", record.Message);
            Assert.Equal("script error", record.Exception?.Message);
        }
    }

    [Fact]
    public void An_event_callback_naming_no_handler_stops_the_start_and_an_empty_one_means_none()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        var host = new TlsModuleHostOptions();
        host.EventHandlers["ksr_tls_event"] = _ => { };
        host.EventHandlers["audit"] = _ => { };

        var error = Assert.Throws<TlsConfigurationException>(() => TlsModule.Create(config.Options(o => o.EventCallback = "ksr_tls_evnt"), host));
        TlsConfigurationDiagnostic problem = Assert.Single(error.Errors);
        Assert.Equal("event_callback: no event handler is named 'ksr_tls_evnt' (the host registers audit, ksr_tls_event); event_callback must name one, or be left unset", problem.ToString());

        // Names are exact, as KEMI function names.
        Assert.Throws<TlsConfigurationException>(() => TlsModule.Create(config.Options(o => o.EventCallback = "KSR_TLS_EVENT"), host));
        Assert.Contains("the host registers none", Assert.Throws<TlsConfigurationException>(() => TlsModule.Create(config.Options(o => o.EventCallback = "x"))).Message, StringComparison.Ordinal);

        using TlsModule module = TlsModule.Create(config.Options(o => o.EventCallback = string.Empty));
        Assert.Null(module.EventCallback);
        using (Connect(module))
        {
        }
    }

    [Fact]
    public void Tls_log_sets_the_level_of_connection_logs()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(o => o.LogLevel = 1), new TlsModuleHostOptions { LoggerFactory = factory });

        using (Connect(module))
        {
        }

        Assert.Contains(collector.GetSnapshot(), record => record.Level == LogLevel.Information && record.Message.Contains("TLSv1.3", StringComparison.Ordinal));
        collector.Clear();
        module.Runtime.LogLevel = 0;
        using (Connect(module))
        {
        }

        Assert.Contains(collector.GetSnapshot(), record => record.Level == LogLevel.Warning && record.Message.Contains("TLSv1.3", StringComparison.Ordinal));
    }

    [Fact]
    public void Metrics_follow_the_OpenTelemetry_conventions_for_handshakes_connections_bytes_and_reloads()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using var meters = new ScopedMeterFactory();
        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { MeterFactory = meters });
        using var duration = new MetricCollector<double>(meters, "OpenSslTls", "openssltls.tls_handshake.duration");
        using var handshakes = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.active_tls_handshakes");
        using var active = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.active_connections");
        using var bytes = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.io");
        using var reloads = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.reloads");

        using (TlsConnection waiting = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote))
        {
            Assert.Equal(1, handshakes.GetMeasurementSnapshot().EvaluateAsCounter()); // in progress until it ends
        }

        Assert.Equal(0, handshakes.GetMeasurementSnapshot().EvaluateAsCounter()); // released during its handshake
        using (TlsPair pair = Connect(module))
        {
            pair.ClientSend(new byte[1400]);
            pair.Pump();
            Assert.Equal(2, active.GetMeasurementSnapshot().EvaluateAsCounter());
            Assert.Equal(0, handshakes.GetMeasurementSnapshot().EvaluateAsCounter());
        }

        module.Reload();
        IReadOnlyList<CollectedMeasurement<double>> ended = duration.GetMeasurementSnapshot();
        Assert.Equal(2, ended.Count);
        Assert.All(ended, m =>
        {
            Assert.Equal("tls", m.Tags["tls.protocol.name"]);
            Assert.Equal("1.3", m.Tags["tls.protocol.version"]);
            Assert.Equal("tcp", m.Tags["network.transport"]);
            Assert.Equal("ipv4", m.Tags["network.type"]);
            Assert.False(m.Tags.ContainsKey("error.type"));
            Assert.InRange(m.Value, 0, 60);
        });
        Assert.Equal(["client", "server"], ended.Select(m => (string)m.Tags["openssltls.connection.role"]!).Order());
        Assert.Equal(0, active.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.True(bytes.GetMeasurementSnapshot().Where(m => (string?)m.Tags["network.io.direction"] == "receive").Sum(m => m.Value) > 1400);
        Assert.True(bytes.GetMeasurementSnapshot().Where(m => (string?)m.Tags["network.io.direction"] == "transmit").Sum(m => m.Value) > 1400);
        CollectedMeasurement<long> reload = Assert.Single(reloads.GetMeasurementSnapshot());
        Assert.False(reload.Tags.ContainsKey("error.type"));
    }

    [Fact]
    public void A_failed_handshake_is_measured_with_a_low_cardinality_error_type()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using var meters = new ScopedMeterFactory();
        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { MeterFactory = meters });
        using var duration = new MetricCollector<double>(meters, "OpenSslTls", "openssltls.tls_handshake.duration");
        using var handshakes = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.active_tls_handshakes");

        using (TlsConnection server = module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote))
        {
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            Assert.Equal(TlsStatus.Failed, server.Receive("GET / HTTP/1.1\r\n\r\n"u8, new System.Buffers.ArrayBufferWriter<byte>(), output).Status);
        }

        CollectedMeasurement<double> failed = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal("client_hello_rejected", failed.Tags["error.type"]);
        Assert.Equal("server", failed.Tags["openssltls.connection.role"]);
        Assert.False(failed.Tags.ContainsKey("tls.protocol.version"));
        Assert.Equal(0, handshakes.GetMeasurementSnapshot().EvaluateAsCounter()); // counted down once, not again at release
    }

    [Fact]
    public void Keylog_file_receives_the_session_secrets_when_enabled()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        string keylog = Path.Combine(config.Directory, "keys.log");
        using (TlsModule module = TlsModule.Create(config.Options(o => { o.KeylogMode = 1 | 2 | 8; o.KeylogFile = keylog; })))
        using (Connect(module))
        {
        }

        string[] lines = File.ReadAllLines(keylog);
        Assert.Contains(lines, line => line.StartsWith("CLIENT_HANDSHAKE_TRAFFIC_SECRET ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("SERVER_TRAFFIC_SECRET_0 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Ct_wq_max_and_ct_wq_blk_size_changed_at_run_time_apply_at_once()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        using TlsConnection first = module.OpenConnection(TlsConfigFile.Local);
        using TlsConnection second = module.OpenConnection(TlsConfigFile.Local);
        var output = new System.Buffers.ArrayBufferWriter<byte>();

        module.Runtime.ClearTextQueueBlockSize = 100;
        first.Send(new byte[10], output);
        first.Send(new byte[120], output);
        Assert.Equal(2, first.QueueBlockCount); // 100-byte blocks (the pool hands out 128): 130 bytes need two

        module.Runtime.ClearTextQueueBlockSize = 65536;
        second.Send(new byte[10], output);
        second.Send(new byte[120], output);
        Assert.Equal(1, second.QueueBlockCount);

        module.Runtime.ClearTextQueueMax = 300; // 260 queued now
        Assert.Equal(TlsStatus.QueueFull, second.Send(new byte[50], output).Status);
        Assert.Equal(TlsStatus.Queued, second.Send(new byte[40], output).Status);
    }

    [Fact]
    public void Tls_debug_sets_the_level_of_connection_traces()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options(o => o.DebugLevel = 2), new TlsModuleHostOptions { LoggerFactory = factory });

        module.OpenConnection(TlsConfigFile.Local).Dispose();

        Assert.Equal(2, collector.GetSnapshot().Count(record => record.Level == LogLevel.Information && record.Message.Contains("generation 1", StringComparison.Ordinal)));
        collector.Clear();
        module.Runtime.DebugLevel = -1;
        module.OpenConnection(TlsConfigFile.Local).Dispose();
        Assert.Equal(2, collector.GetSnapshot().Count(record => record.Level == LogLevel.Error && record.Message.Contains("generation 1", StringComparison.Ordinal)));
    }

    [Fact]
    public void Admin_views_render_as_json()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        using TlsPair pair = Connect(module);

        using var info = System.Text.Json.JsonDocument.Parse(TlsAdminJson.Serialize(module.Info()));
        using var list = System.Text.Json.JsonDocument.Parse(TlsAdminJson.Serialize(module.List()));
        using var options = System.Text.Json.JsonDocument.Parse(TlsAdminJson.Serialize(module.Options()));
        using var reload = System.Text.Json.JsonDocument.Parse(TlsAdminJson.Serialize(module.Reload()));

        Assert.Equal(2, info.RootElement.GetProperty("opened_connections").GetInt32());
        Assert.Equal("Established", list.RootElement[0].GetProperty("state").GetString());
        Assert.Equal("TLSv1.3", list.RootElement[0].GetProperty("version").GetString());
        Assert.Equal("600", options.RootElement.GetProperty("connection_timeout").GetString());
        Assert.True(reload.RootElement.GetProperty("succeeded").GetBoolean());
    }

    [Fact]
    public void A_client_only_module_loads_and_reloads_a_tls_cfg_without_server_profiles()
    {
        using var config = new TlsConfigFile();
        File.WriteAllText(config.Path, "[client:default]\nverify_certificate = no\n");

        // A server module needs the built-in [server:default]'s cert.pem, which is not there (as Kamailio).
        Assert.Throws<TlsProfileSetException>(() => TlsModule.Create(config.Options()));

        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { ClientOnly = true });
        Assert.False(module.Profiles.HasServerDefault);
        Assert.Throws<InvalidOperationException>(() => module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote));
        using (TlsConnection connection = module.OpenConnection(TlsConfigFile.Remote))
        {
            Assert.Equal("client:default", connection.Profile.Label);
        }

        File.WriteAllText(config.Path, "[client:default]\nverify_certificate = no\n[client:any]\nserver_name = a.example\n");
        Assert.True(module.Reload().Succeeded);
        Assert.False(module.Profiles.HasServerDefault);
    }

    [Fact]
    public void s_client_sees_the_new_certificate_after_a_reload()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        string SubjectSeenByClient()
        {
            (System.Net.Sockets.Socket listener, int port) = LoopbackTcp.Listen();
            using (listener)
            using (OpenSslProcess client = OpenSslProcess.StartClient(port))
            using (var peer = new SocketTlsPeer(LoopbackTcp.Accept(listener, OpenSslInterop.Timeout), module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote)))
            {
                Assert.True(peer.WaitForHandshake(OpenSslInterop.Timeout));
                Assert.True(client.WaitForOutput("subject=", OpenSslInterop.Timeout), client.Output);
                return client.Output;
            }
        }

        Assert.Matches("subject=" + OpenSslOutput.NamePattern("CN", TestPki.ServerName), SubjectSeenByClient());
        config.WriteServer(Pki.SniServerCertificate, Pki.SniServerKey);
        Assert.True(module.Reload().Succeeded);
        Assert.Matches("subject=" + OpenSslOutput.NamePattern("CN", TestPki.SniServerName), SubjectSeenByClient());
    }
}
