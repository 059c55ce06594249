using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Hosting;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// <c>services.AddOpenSslTlsRedisCluster()</c> with the cluster from the module's own section (<c>Tls:cluster_address</c>,
/// …) in real hosts over a real Redis: two such hosts resume each other; the cluster set in two places, or a
/// <c>cluster_address</c> with nothing to act on it, stops the start naming the keys; a changed cluster parameter is
/// refused by the reload (logged), the running configuration staying.
/// </summary>
public sealed class ClusterParameterHostingTests : IDisposable
{
    private static readonly IPEndPoint Local = new(IPAddress.Loopback, 5061);
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"openssltls-kek-{Guid.NewGuid():N}.hex");
    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";

    public ClusterParameterHostingTests() => File.WriteAllText(_keyFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) + "\n");

    public void Dispose() => File.Delete(_keyFile);

    [Fact]
    public async Task Two_hosts_with_the_cluster_in_the_module_section_resume_each_others_session_ids_and_tickets()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        using HostingTestHost hostA = HostingTestHost.Build(ModuleValues($"redis://{redis.Configuration}"), services => services.AddOpenSslTlsRedisCluster());
        await hostA.Host.StartAsync();
        using HostingTestHost hostB = HostingTestHost.Build(ModuleValues($"redis://{redis.Configuration}"), services => services.AddOpenSslTlsRedisCluster());
        await hostB.Host.StartAsync();
        RedisClusterOptions options = hostB.Host.Services.GetRequiredService<IOptions<RedisClusterOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(10), options.RotationInterval);
        Assert.Equal(4, options.Window);
        Assert.Equal(TimeSpan.FromSeconds(2), options.LookupTimeout);
        Assert.Equal(_prefix, options.KeyPrefix);
        RedisCluster clusterB = hostB.Host.Services.GetRequiredService<RedisCluster>();
        TlsProfile nodeA = Server(hostA);
        TlsProfile nodeB = Server(hostB);

        using (TlsProfile sessionIds = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2)))
        {
            SslContextNative.SetOptions(sessionIds.Context, Ssl.SSL_OP_NO_TICKET);
            using TlsSession session = Resumption.FirstSession(nodeA, sessionIds);
            await redis.WaitForKeysAsync(_prefix + "session:*");
            Assert.True(Resumption.Resumes(nodeB, sessionIds, session), $"host B did not resume a session id host A issued (B's store: connected {clusterB.Sessions.IsConnected}, timeouts {clusterB.Sessions.Timeouts}, errors {clusterB.Sessions.StoreErrors})");
        }

        using (TlsProfile tickets = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_3)))
        using (TlsSession ticket = Resumption.FirstSession(nodeA, tickets))
        {
            Assert.True(Resumption.Resumes(nodeB, tickets, ticket), "host B did not open a ticket host A sealed");
        }

        await hostB.Host.StopAsync();
        await hostA.Host.StopAsync();
    }

    [Fact]
    public async Task A_cluster_in_the_module_section_and_in_a_cluster_section_stops_the_start_naming_both()
    {
        Dictionary<string, string?> values = ModuleValues($"redis://127.0.0.1:{RedisServerProcess.FreePort()}");
        values["TlsCluster:Address"] = $"redis://127.0.0.1:{RedisServerProcess.FreePort()}";
        values["TlsCluster:KeyFile"] = _keyFile;
        using HostingTestHost host = HostingTestHost.Build(values, services => services.AddOpenSslTlsRedisCluster(ClusterSection(values)));
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync());
        string failure = Assert.Single(error.Failures);
        Assert.Contains("TlsCluster:Address", failure, StringComparison.Ordinal);
        Assert.Contains("the module parameter cluster_address", failure, StringComparison.Ordinal);
        Assert.Contains("are both set", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cluster_address_without_the_cluster_extension_stops_the_start_naming_the_parameter()
    {
        using HostingTestHost host = HostingTestHost.Build(ModuleValues($"redis://127.0.0.1:{RedisServerProcess.FreePort()}"));
        TlsConfigurationException error = await Assert.ThrowsAsync<TlsConfigurationException>(() => host.Host.StartAsync());
        TlsConfigurationDiagnostic refusal = Assert.Single(error.Errors);
        Assert.Equal("cluster_address", refusal.File);
        Assert.Contains("nothing in this process runs a cluster store", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("AddOpenSslTlsRedisCluster()", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Tls:cluster_key_file", "/nonexistent/kek.hex", "cluster_key_file:")]
    [InlineData("Tls:cluster_address", null, "cluster_address: not set")]
    public async Task A_bad_module_cluster_value_stops_the_start_naming_the_parameter(string key, string? value, string named)
    {
        Dictionary<string, string?> values = ModuleValues($"redis://127.0.0.1:{RedisServerProcess.FreePort()}");
        values[key] = value;
        if (value is null)
        {
            // Both unset: no cluster in the section, yet the extension was asked to take it from there.
            values.Remove(key);
            values.Remove("Tls:cluster_key_file");
        }

        using HostingTestHost host = HostingTestHost.Build(values, services => services.AddOpenSslTlsRedisCluster());
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync());
        Assert.StartsWith(named, error.Failures.First(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_cluster_parameter_is_refused_by_the_reload_and_the_running_configuration_stays()
    {
        using HostingTestHost host = HostingTestHost.Build(ModuleValues($"redis://127.0.0.1:{RedisServerProcess.FreePort()}"), services => services.AddOpenSslTlsRedisCluster());
        await host.Host.StartAsync();
        TlsModule module = host.Host.Services.GetRequiredService<TlsModule>();
        RedisCluster cluster = host.Host.Services.GetRequiredService<RedisCluster>();

        host.Change(new() { ["Tls:cluster_rotation"] = "60", ["Tls:verify_depth"] = "3" });
        await Eventually(() => host.Logs.GetSnapshot().Any(r => r.Message.Contains("TLS reload refused", StringComparison.Ordinal)), "the reload was not refused");
        string refused = host.Logs.GetSnapshot().First(r => r.Message.Contains("TLS reload refused", StringComparison.Ordinal)).Message;
        Assert.Contains("cluster_rotation: cannot change while the module runs (it is '600', the new options say '60')", refused, StringComparison.Ordinal);
        Assert.Contains("restart to apply it", refused, StringComparison.Ordinal);
        Assert.Equal(1, module.Info().Generation);
        Assert.Equal("9", module.Options()["verify_depth"]);
        Assert.Same(cluster.Ring, module.Runtime.TicketKeys);

        // Back to the running cluster: the rest of the change applies.
        host.Change(new() { ["Tls:cluster_rotation"] = "600" });
        await Eventually(() => module.Info().Generation == 2, $"the reload without a cluster change did not apply (generation {module.Info().Generation})");
        Assert.Equal("3", module.Options()["verify_depth"]);
        await host.Host.StopAsync();
    }

    private static IConfiguration ClusterSection(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("TlsCluster");

    private Dictionary<string, string?> ModuleValues(string address)
    {
        Dictionary<string, string?> values = HostingTestHost.DefaultProfiles();
        values["Tls:cluster_address"] = address;
        values["Tls:cluster_key_file"] = _keyFile;
        values["Tls:cluster_rotation"] = "600";
        values["Tls:cluster_window"] = "4";
        values["Tls:cluster_lookup_timeout"] = "2000"; // generous: the tests run on a loaded machine (the default is 100 ms)
        values["Tls:cluster_key_prefix"] = _prefix;
        return values;
    }

    private static TlsProfile Server(HostingTestHost host) => host.Host.Services.GetRequiredService<TlsModule>().Profiles.SelectServer(Local);

    private static async Task Eventually(Func<bool> condition, string because)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), because);
            await Task.Delay(20);
        }
    }
}
