using System.Diagnostics;
using System.Net;
using OpenSslTls.Connections;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Runtime;

/// <summary>
/// The handshake span (issue 19.5): on the one <c>OpenSslTls</c> ActivitySource, off by default, with OpenTelemetry's
/// attribute names when enabled. The listener is process-wide, so spans are told apart by this test's own ports.
/// </summary>
public sealed class TlsModuleTracingTests : NativeLeakCheck
{
    private readonly List<Activity> _stopped = [];
    private readonly ActivityListener _listener;
    private readonly int _port = Random.Shared.Next(41000, 60000);

    public TlsModuleTracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "OpenSslTls",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (_stopped)
                {
                    _stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private IPEndPoint Remote => new(IPAddress.Loopback, _port);

    private IPEndPoint Server => new(IPAddress.Loopback, _port + 1);

    private List<Activity> Mine()
    {
        lock (_stopped)
        {
            return [.. _stopped.Where(a => Equals(a.GetTagItem("network.peer.port"), _port) || Equals(a.GetTagItem("network.peer.port"), _port + 1))];
        }
    }

    private static TlsModule Module(TlsConfigFile config, bool tracing)
    {
        config.WriteDefault();
        return TlsModule.Create(config.Options(), new TlsModuleHostOptions { HandshakeTracing = tracing });
    }

    [Fact]
    public void No_span_is_made_by_default_and_one_per_connection_once_enabled()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using (TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions()))
        using (var pair = new TlsPair(module.AcceptConnection(Server, Remote), module.OpenConnection(Server)))
        {
            Assert.True(pair.Handshake());
        }

        Assert.Empty(Mine());

        using (TlsModule module = Module(config, tracing: true))
        using (var pair = new TlsPair(module.AcceptConnection(Server, Remote), module.OpenConnection(Server)))
        {
            Assert.True(pair.Handshake());
        }

        Assert.Equal(2, Mine().Count);
    }

    [Fact]
    public void An_enabled_module_makes_one_span_per_handshake_with_the_conventions_attributes()
    {
        using var config = new TlsConfigFile();
        using TlsModule module = Module(config, tracing: true);
        using var parent = new Activity("caller").Start();
        using var pair = new TlsPair(module.AcceptConnection(Server, Remote), module.OpenConnection(Server, "localhost"));
        Assert.Same(parent, Activity.Current);
        Assert.True(pair.Handshake());
        Assert.Same(parent, Activity.Current);

        List<Activity> spans = Mine();
        Assert.Equal(2, spans.Count);
        Activity server = Assert.Single(spans, a => a.Kind == ActivityKind.Server);
        Activity client = Assert.Single(spans, a => a.Kind == ActivityKind.Client);
        foreach (Activity span in spans)
        {
            Assert.Equal("openssltls.tls_handshake", span.OperationName);
            Assert.Equal(parent.SpanId, span.ParentSpanId);
            Assert.Equal("tls", span.GetTagItem("tls.protocol.name"));
            Assert.Equal("1.3", span.GetTagItem("tls.protocol.version"));
            Assert.Equal("TLS_AES_256_GCM_SHA384", span.GetTagItem("tls.cipher"));
            Assert.Equal(true, span.GetTagItem("tls.established"));
            Assert.Equal("tcp", span.GetTagItem("network.transport"));
            Assert.Equal("ipv4", span.GetTagItem("network.type"));
            Assert.Null(span.GetTagItem("error.type"));
        }

        Assert.Equal(_port, server.GetTagItem("network.peer.port"));
        Assert.Equal("127.0.0.1", server.GetTagItem("network.peer.address"));
        Assert.Equal(_port + 1, server.GetTagItem("network.local.port"));
        Assert.Equal("localhost", server.GetTagItem("tls.client.server_name"));
        Assert.Equal("localhost", client.GetTagItem("server.address"));
        Assert.Equal(_port + 1, client.GetTagItem("server.port"));
    }

    [Fact]
    public void A_failed_handshake_ends_its_span_with_error_type()
    {
        using var config = new TlsConfigFile();
        config.WriteServer(TestPki.Instance.ServerEcCertificate, TestPki.Instance.ServerEcKey);
        File.AppendAllText(config.Path, $"\n[client:{Server.Address}:{Server.Port}]\nverify_certificate = yes\nca_list = {TestPki.Instance.UntrustedRootCaCertificate}\n");
        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { HandshakeTracing = true });
        using var pair = new TlsPair(module.AcceptConnection(Server, Remote), module.OpenConnection(Server));
        Assert.False(pair.Handshake());

        Activity client = Assert.Single(Mine(), a => a.Kind == ActivityKind.Client);
        Assert.Equal("certificate_verify_failed", client.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, client.Status);
    }

    [Fact]
    public void A_connection_released_during_its_handshake_ends_its_span()
    {
        using var config = new TlsConfigFile();
        using TlsModule module = Module(config, tracing: true);
        module.AcceptConnection(Server, Remote).Dispose();

        Activity span = Assert.Single(Mine());
        Assert.Equal("connection_closed", span.GetTagItem("error.type"));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _listener.Dispose();
        }

        base.Dispose(disposing);
    }
}
