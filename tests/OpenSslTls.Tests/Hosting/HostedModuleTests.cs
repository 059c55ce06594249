using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OpenSslTls.Connections;
using OpenSslTls.Extensions.Hosting;
using OpenSslTls.Module;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Hosting;

/// <summary>
/// The module as a hosted service (issue 19.4): created at start, the idle sweep running between start and stop, and
/// the profiles reloaded when the configuration changes (old connections keep theirs, a bad change keeps the old set).
/// </summary>
public sealed class HostedModuleTests : NativeLeakCheck
{
    private static readonly IPEndPoint Local = new(IPAddress.Loopback, 5061);

    private static TlsPair Connect(TlsModule module, int remotePort = 40001)
    {
        var pair = new TlsPair(module.AcceptConnection(Local, new IPEndPoint(IPAddress.Loopback, remotePort)), module.OpenConnection(Local));
        Assert.True(pair.Handshake(), pair.Server.Failure?.Message ?? pair.Client.Failure?.Message);
        return pair;
    }

    private static void AssertExchanges(TlsPair pair, string text)
    {
        int before = pair.ServerReceived.WrittenCount;
        pair.ClientSend(Encoding.ASCII.GetBytes(text));
        pair.Pump();
        Assert.Equal(text, Encoding.ASCII.GetString(pair.ServerReceived.WrittenSpan[before..]));
    }

    [Fact]
    public async Task The_hosted_service_sweeps_idle_connections_from_start_to_stop()
    {
        var clock = new FakeTimeProvider();
        Dictionary<string, string?> values = HostingTestHost.DefaultProfiles();
        values["Tls:connection_timeout"] = "5";
        using HostingTestHost test = HostingTestHost.Build(values, services => services.AddSingleton<TimeProvider>(clock));
        TlsModule module = test.Host.Services.GetRequiredService<TlsModule>();
        var expired = new List<TlsConnection>();
        module.ConnectionExpired += (_, e) => expired.Add(e.Connection);

        // Before the host starts nothing sweeps.
        using TlsConnection early = module.AcceptConnection(Local, new IPEndPoint(IPAddress.Loopback, 40002));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(expired);

        await test.Host.StartAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([early], expired);

        using TlsConnection during = module.AcceptConnection(Local, new IPEndPoint(IPAddress.Loopback, 40003));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.DoesNotContain(during, expired);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains(during, expired);

        await test.Host.StopAsync();
        using TlsConnection after = module.AcceptConnection(Local, new IPEndPoint(IPAddress.Loopback, 40004));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(after, expired);
    }

    [Fact]
    public async Task A_configuration_change_reloads_the_profiles_and_a_live_connection_survives_it()
    {
        using HostingTestHost test = HostingTestHost.Build(HostingTestHost.DefaultProfiles());
        await test.Host.StartAsync();
        TlsModule module = test.Host.Services.GetRequiredService<TlsModule>();
        using TlsPair before = Connect(module);
        Assert.Equal(9, before.Server.Profile.Settings.VerifyDepth);

        test.Change(new() { ["Tls:Profiles:0:VerifyDepth"] = "3", ["Tls:ssl_max_send_fragment"] = "1024", ["Tls:connection_timeout"] = "77" });

        Assert.Equal(2, module.Info().Generation);
        using TlsPair after = Connect(module);
        Assert.Equal(3, after.Server.Profile.Settings.VerifyDepth);
        Assert.Equal(1024, after.Server.Profile.Tuning.MaxSendFragment);
        Assert.Equal(77, module.Runtime.ConnectionTimeout);
        Assert.Equal(9, before.Server.Profile.Settings.VerifyDepth);
        Assert.Equal(TlsConnectionState.Established, before.Server.State);
        AssertExchanges(before, "OPTIONS sip:old SIP/2.0\r\n\r\n");
        AssertExchanges(after, "OPTIONS sip:new SIP/2.0\r\n\r\n");
        Assert.Contains(test.Logs.GetSnapshot(), r => r.Category == TlsLogCategories.Module && r.Message.Contains("generation 2", StringComparison.Ordinal));
        await test.Host.StopAsync();
    }

    [Fact]
    public async Task A_change_elsewhere_in_the_configuration_does_not_rebuild_the_profiles()
    {
        using HostingTestHost test = HostingTestHost.Build(HostingTestHost.DefaultProfiles());
        await test.Host.StartAsync();
        TlsModule module = test.Host.Services.GetRequiredService<TlsModule>();

        test.Change(new() { ["Logging:LogLevel:Default"] = "Warning" });
        Assert.Equal(1, module.Info().Generation);

        test.Change(new() { ["Tls:verify_depth"] = "4" });
        Assert.Equal(2, module.Info().Generation);
        await test.Host.StopAsync();
    }

    [Fact]
    public async Task A_change_with_a_bad_value_keeps_the_running_profiles_and_logs_the_key()
    {
        using HostingTestHost test = HostingTestHost.Build(HostingTestHost.DefaultProfiles());
        await test.Host.StartAsync();
        TlsModule module = test.Host.Services.GetRequiredService<TlsModule>();
        using TlsPair live = Connect(module);
        var profiles = module.Profiles;

        test.Change(new() { ["Tls:verify_depth"] = "deep" });

        Assert.Equal(1, module.Info().Generation);
        Assert.Same(profiles, module.Profiles);
        FakeLogRecord refused = Assert.Single(test.Logs.GetSnapshot(), r => r.Category == "OpenSslTls.Hosting");
        Assert.Equal(LogLevel.Error, refused.Level);
        Assert.Contains("Tls:verify_depth: verify_depth takes an integer, not 'deep'", refused.Message, StringComparison.Ordinal);
        AssertExchanges(live, "OPTIONS sip:still SIP/2.0\r\n\r\n");

        // Fixed again: the next change reloads.
        test.Change(new() { ["Tls:verify_depth"] = "5" });
        Assert.Equal(2, module.Info().Generation);
        await test.Host.StopAsync();
    }

    [Fact]
    public async Task A_change_naming_a_missing_certificate_keeps_the_running_profiles_and_the_module_logs_why()
    {
        using HostingTestHost test = HostingTestHost.Build(HostingTestHost.DefaultProfiles());
        await test.Host.StartAsync();
        TlsModule module = test.Host.Services.GetRequiredService<TlsModule>();
        using TlsPair live = Connect(module);
        string missing = Path.Combine(Path.GetTempPath(), $"openssltls-missing-{Guid.NewGuid():N}.pem");

        test.Change(new() { ["Tls:Profiles:0:certificate"] = missing });

        Assert.Equal(1, module.Info().Generation);
        FakeLogRecord refused = Assert.Single(test.Logs.GetSnapshot(), r => r.Category == TlsLogCategories.Module && r.Level == LogLevel.Error);
        Assert.Contains("TLS reload refused", refused.Message, StringComparison.Ordinal);
        Assert.Contains(missing, refused.Message, StringComparison.Ordinal);
        using TlsPair again = Connect(module, 40005);
        Assert.Equal(TestPki.Instance.ServerEcCertificate, again.Server.Profile.Settings.Certificate);
        AssertExchanges(live, "OPTIONS sip:still SIP/2.0\r\n\r\n");
        await test.Host.StopAsync();
    }

    [Fact]
    public async Task A_module_from_the_host_uses_the_hosting_options()
    {
        var handled = new List<string>();
        Dictionary<string, string?> values = HostingTestHost.DefaultProfiles();
        values["Tls:event_callback"] = "on_out";
        using HostingTestHost test = HostingTestHost.Build(values, services => services.Configure<TlsHostingOptions>(hosting =>
        {
            hosting.EventHandlers["on_out"] = e => handled.Add(e.EventName);
            hosting.IdleSweepInterval = TimeSpan.Zero;
        }));
        await test.Host.StartAsync();
        TlsModule module = test.Host.Services.GetRequiredService<TlsModule>();
        using TlsPair pair = Connect(module);
        Assert.Equal([TlsModule.ConnectionOutEvent], handled);

        // event_callback is read once at start: a change to it is refused, naming it.
        test.Change(new() { ["Tls:event_callback"] = "other" });
        Assert.Equal(1, module.Info().Generation);
        Assert.Contains(test.Logs.GetSnapshot(), r => r.Category == TlsLogCategories.Module && r.Message.Contains("event_callback: cannot change while the module runs", StringComparison.Ordinal));
        await test.Host.StopAsync();
    }
}
