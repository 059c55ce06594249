using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSslTls.Cluster.Redis;
using OpenSslTls.Connections;
using OpenSslTls.Interop;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Hosting;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// <c>services.AddOpenSslTlsRedisCluster(section)</c> in real hosts over a real <c>redis-server</c>: two hosts built
/// with it resume each other's TLS 1.2 session ids and TLS 1.3 tickets; a host without it does not; bad values stop
/// the host's start with an error naming the key.
/// </summary>
public sealed class RedisClusterHostingTests : IDisposable
{
    private static readonly IPEndPoint Local = new(IPAddress.Loopback, 5061);
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"openssltls-kek-{Guid.NewGuid():N}.hex");
    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";

    public RedisClusterHostingTests() => File.WriteAllText(_keyFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) + "\n");

    public void Dispose() => File.Delete(_keyFile);

    [Fact]
    public async Task Two_hosts_with_the_extension_resume_each_others_session_ids_and_tickets_and_a_host_without_it_does_not()
    {
        using RedisServerProcess redis = RedisServerProcess.Start();
        using IHost hostA = Build(ClusterValues($"redis://{redis.Configuration}"));
        await hostA.StartAsync();
        using IHost hostB = Build(ClusterValues($"redis://{redis.Configuration}"));
        await hostB.StartAsync();
        using IHost alone = Build([]);
        await alone.StartAsync();
        TlsProfile nodeA = Server(hostA);
        TlsProfile nodeB = Server(hostB);
        RedisCluster clusterB = hostB.Services.GetRequiredService<RedisCluster>();
        Assert.True(hostA.Services.GetRequiredService<IOptionsMonitor<OpenSslTls.Configuration.TlsModuleOptions>>().CurrentValue.SessionCache, "the extension did not turn session_cache on");

        using (TlsProfile sessionIds = SessionIdClient())
        using (TlsSession session = Resumption.FirstSession(nodeA, sessionIds))
        {
            await redis.WaitForKeysAsync(_prefix + "session:*");
            Assert.True(ClusterResumption.Resumes(nodeB, sessionIds, session, clusterB.Sessions, out string trace), $"host B did not resume a session id host A issued ({trace})");
            Assert.Equal(1, clusterB.Sessions.RemoteHits);
            Assert.False(Resumption.Resumes(Server(alone), sessionIds, session), "a host without the cluster resumed host A's session id");
        }

        using (TlsProfile tickets = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_3)))
        using (TlsSession ticket = Resumption.FirstSession(nodeA, tickets))
        {
            Assert.True(Resumption.Resumes(nodeB, tickets, ticket), "host B did not open a ticket host A sealed");
            Assert.False(Resumption.Resumes(Server(alone), tickets, ticket), "a host without the cluster opened host A's ticket");
        }

        await hostB.StopAsync();
        await hostA.StopAsync();
        await alone.StopAsync();
    }

    [Theory]
    [InlineData("Address", "http://127.0.0.1:6379", "TlsCluster:Address")]
    [InlineData("Address", null, "TlsCluster:Address")]
    [InlineData("KeyFile", null, "TlsCluster:KeyFile")]
    [InlineData("KeyFile", "/nonexistent/kek.hex", "TlsCluster:KeyFile")]
    [InlineData("KeyFile", "SHORT", "TlsCluster:KeyFile")]
    [InlineData("RotationInterval", "0", "TlsCluster:RotationInterval")]
    [InlineData("RotationInterval", "-00:01:00", "TlsCluster:RotationInterval")]
    [InlineData("RotationInterval", "soon", "TlsCluster:RotationInterval")]
    [InlineData("Window", "1", "TlsCluster:Window")]
    [InlineData("Window", "many", "TlsCluster:Window")]
    [InlineData("LookupTimeout", "0", "TlsCluster:LookupTimeout")]
    [InlineData("LookupTimeout", "00:00:10", "TlsCluster:LookupTimeout")]
    public async Task A_bad_value_stops_the_start_naming_its_key(string key, string? value, string named)
    {
        Dictionary<string, string?> values = ClusterValues($"redis://127.0.0.1:{RedisServerProcess.FreePort()}");
        string shortKey = Path.Combine(Path.GetTempPath(), $"openssltls-short-{Guid.NewGuid():N}.hex");
        File.WriteAllText(shortKey, Convert.ToHexString(RandomNumberGenerator.GetBytes(10)));
        try
        {
            values[$"TlsCluster:{key}"] = value == "SHORT" ? shortKey : value;
            using IHost host = Build(values);
            OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            string failure = Assert.Single(error.Failures);
            Assert.StartsWith(named + ":", failure, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(shortKey);
        }
    }

    [Fact]
    public async Task Good_values_start_with_redis_down_and_the_store_takes_them()
    {
        Dictionary<string, string?> values = ClusterValues($"127.0.0.1:{RedisServerProcess.FreePort()}");
        values["TlsCluster:RotationInterval"] = "00:10:00";
        values["TlsCluster:Window"] = "4";
        values["TlsCluster:LookupTimeout"] = "250";
        using IHost host = Build(values);
        await host.StartAsync();
        RedisClusterOptions options = host.Services.GetRequiredService<IOptions<RedisClusterOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(10), options.RotationInterval);
        Assert.Equal(4, options.Window);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.LookupTimeout);
        RedisCluster cluster = host.Services.GetRequiredService<RedisCluster>();
        Assert.False(cluster.TicketKeys.IsConnected);
        Assert.Same(cluster.Ring, host.Services.GetRequiredService<TlsModule>().Runtime.TicketKeys);
        await host.StopAsync();
    }

    private Dictionary<string, string?> ClusterValues(string address)
    {
        Dictionary<string, string?> values = HostingTestHost.DefaultProfiles();
        values["TlsCluster:Address"] = address;
        values["TlsCluster:KeyFile"] = _keyFile;
        values["TlsCluster:KeyPrefix"] = _prefix;
        values["TlsCluster:LookupTimeout"] = "2000"; // generous: the tests run on a loaded machine (the default is 100 ms)
        return values;
    }

    private static IHost Build(Dictionary<string, string?> values)
    {
        if (values.Count == 0)
        {
            values = HostingTestHost.DefaultProfiles();
        }

        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddOpenSslTls(configuration.GetSection("Tls"));
        if (values.Keys.Any(k => k.StartsWith("TlsCluster:", StringComparison.Ordinal)))
        {
            builder.Services.AddOpenSslTlsRedisCluster(configuration.GetSection("TlsCluster"));
        }

        return builder.Build();
    }

    private static TlsProfile Server(IHost host) => host.Services.GetRequiredService<TlsModule>().Profiles.SelectServer(Local);

    private static TlsProfile SessionIdClient()
    {
        TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2));
        SslContextNative.SetOptions(client.Context, Ssl.SSL_OP_NO_TICKET);
        return client;
    }
}
