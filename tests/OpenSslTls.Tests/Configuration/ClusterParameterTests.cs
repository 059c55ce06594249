using Microsoft.Extensions.Configuration;
using OpenSslTls.Configuration;
using OpenSslTls.Errors;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Runtime;

namespace OpenSslTls.Tests.Configuration;

/// <summary>
/// The cluster parameters (our additions: <c>cluster_address</c>, <c>cluster_key_file</c>, <c>cluster_rotation</c>,
/// <c>cluster_window</c>, <c>cluster_lookup_timeout</c>, <c>cluster_key_prefix</c>) are read wherever the other module
/// parameters are, with the same placed errors; the library carries them, refuses to start a module whose
/// <c>cluster_address</c> nothing acts on, and refuses to change them on a reload.
/// </summary>
public sealed class ClusterParameterTests
{
    private const string File = "kamailio.cfg";

    private static TlsModuleOptions Read(string text)
    {
        var options = new TlsModuleOptions();
        TlsModuleOptionsReader.ApplyModparams(options, text, File);
        return options;
    }

    private static List<string> Errors(string text)
    {
        var error = Assert.Throws<TlsConfigurationException>(() => Read(text));
        return [.. error.Errors.Select(e => e.ToString())];
    }

    [Fact]
    public void Every_cluster_parameter_is_read_from_modparams_and_written_back()
    {
        TlsModuleOptions options = Read("""
            modparam("tls", "cluster_address", "redis://10.0.0.5:6379")
            modparam("tls", "cluster_key_file", "cluster.key")
            modparam("tls", "cluster_rotation", 3600)
            modparam("tls", "cluster_window", 4)
            modparam("tls", "cluster_lookup_timeout", 250)
            modparam("tls", "cluster_key_prefix", "edge-a:")
            """);

        Assert.Equal("redis://10.0.0.5:6379", options.ClusterAddress);
        Assert.True(options.HasCluster);
        Assert.Equal("cluster.key", options.ClusterKeyFile);
        Assert.Equal(3600, options.ClusterRotation);
        Assert.Equal(4, options.ClusterWindow);
        Assert.Equal(250, options.ClusterLookupTimeout);
        Assert.Equal("edge-a:", options.ClusterKeyPrefix);

        string written = TlsModuleOptionsReader.ToModparams(options);
        Assert.Contains("modparam(\"tls\", \"cluster_address\", \"redis://10.0.0.5:6379\")", written, StringComparison.Ordinal);
        Assert.Contains("modparam(\"tls\", \"cluster_rotation\", 3600)", written, StringComparison.Ordinal);
        TlsModuleOptions again = Read(written);
        Assert.Equal(written, TlsModuleOptionsReader.ToModparams(again));
    }

    [Fact]
    public void Without_cluster_parameters_there_is_no_cluster_and_the_defaults_are_serves()
    {
        var options = new TlsModuleOptions();
        Assert.False(options.HasCluster);
        Assert.Null(options.ClusterKeyFile);
        Assert.Equal(43200, options.ClusterRotation);
        Assert.Equal(3, options.ClusterWindow);
        Assert.Equal(100, options.ClusterLookupTimeout);
        Assert.Equal("openssltls:", options.ClusterKeyPrefix);
        Assert.DoesNotContain("cluster_address", TlsModuleOptionsReader.ToModparams(options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("modparam(\"tls\", \"cluster_address\", \"redis://user@host:6379\")", "kamailio.cfg:1:36: cluster_address must be redis://HOST:PORT, not 'redis://user@host:6379'")]
    [InlineData("modparam(\"tls\", \"cluster_address\", \"redis://10.0.0.5\")", "kamailio.cfg:1:36: cluster_address must be redis://HOST:PORT, not 'redis://10.0.0.5'")]
    [InlineData("modparam(\"tls\", \"cluster_address\", \"10.0.0.5:6379,10.0.0.6:6379\")", "kamailio.cfg:1:36: cluster_address must be redis://HOST:PORT, not '10.0.0.5:6379,10.0.0.6:6379'")]
    [InlineData("modparam(\"tls\", \"cluster_rotation\", 0)", "kamailio.cfg:1:37: cluster_rotation must be 1..2592000, not 0")]
    [InlineData("modparam(\"tls\", \"cluster_window\", 1)", "kamailio.cfg:1:35: cluster_window must be 2..16, not 1")]
    [InlineData("modparam(\"tls\", \"cluster_window\", 17)", "kamailio.cfg:1:35: cluster_window must be 2..16, not 17")]
    [InlineData("modparam(\"tls\", \"cluster_lookup_timeout\", 5001)", "kamailio.cfg:1:43: cluster_lookup_timeout must be 1..5000, not 5001")]
    [InlineData("modparam(\"tls\", \"cluster_lookup_timeout\", \"100\")", "kamailio.cfg:1:43: cluster_lookup_timeout takes an integer, not the string \"100\"; write the value without quotes")]
    [InlineData("modparam(\"tls\", \"cluster_key_prefix\", \"\")", "kamailio.cfg:1:39: cluster_key_prefix must not be empty")]
    [InlineData("modparam(\"tls\", \"cluster_adress\", \"redis://10.0.0.5:6379\")", "kamailio.cfg:1:17: unknown parameter 'cluster_adress' of module tls")]
    [InlineData("modparam(\"tls\", \"Cluster_Address\", \"redis://10.0.0.5:6379\")", "kamailio.cfg:1:17: unknown parameter 'Cluster_Address' of module tls (did you mean 'cluster_address'?)")]
    [InlineData("modparam(\"tls\", \"cluster_address\", \"redis://10.0.0.5:6379\")", "kamailio.cfg: cluster_address is set but cluster_key_file is not: the key file holds the key-encryption key every node of the cluster shares")]
    [InlineData("modparam(\"tls\", \"cluster_key_file\", \"cluster.key\")", "kamailio.cfg: cluster_key_file is set but cluster_address is not: the key file is for a cluster, and none is configured")]
    public void A_bad_or_unknown_cluster_value_is_named_with_its_place(string line, string expected)
    {
        Assert.Equal(expected, Assert.Single(Errors(line)));
    }

    [Fact]
    public void Configuration_keys_take_the_kamailio_and_the_dotnet_names_and_place_their_errors()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tls:cluster_address"] = "redis://127.0.0.1:6390",
            ["Tls:ClusterKeyFile"] = "/etc/openssltls/cluster.key",
            ["Tls:cluster_rotation"] = "600",
            ["Tls:ClusterLookupTimeout"] = "2000",
        }).Build();
        TlsModuleOptions options = TlsModuleOptionsReader.FromConfiguration(configuration);
        Assert.Equal("redis://127.0.0.1:6390", options.ClusterAddress);
        Assert.Equal("/etc/openssltls/cluster.key", options.ClusterKeyFile);
        Assert.Equal(600, options.ClusterRotation);
        Assert.Equal(2000, options.ClusterLookupTimeout);

        // An environment variable (Tls__cluster_window) becomes the same key; a bad one is named by its key path.
        IConfiguration bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tls:cluster_window"] = "many",
            ["Tls:cluster_adress"] = "redis://127.0.0.1:6390",
        }).Build();
        var error = Assert.Throws<TlsConfigurationException>(() => TlsModuleOptionsReader.FromConfiguration(bad));
        string[] errors = [.. error.Errors.Select(e => e.ToString())];
        Assert.Equal(2, errors.Length);
        Assert.Contains("Tls:cluster_window (MemoryConfigurationProvider): cluster_window takes an integer, not 'many'", errors);
        Assert.Contains("Tls:cluster_adress (MemoryConfigurationProvider): unknown parameter 'cluster_adress' of module tls", errors);
    }

    [Theory]
    [InlineData("redis://127.0.0.1:6379", "127.0.0.1:6379")]
    [InlineData("REDIS://redis.example.org:6380/", "redis.example.org:6380")]
    [InlineData("10.0.0.5:6379", "10.0.0.5:6379")]
    [InlineData("[::1]:6379", "[::1]:6379")]
    [InlineData("redis://user@host:6379", null)]
    [InlineData("redis://host:6379/0", null)]
    [InlineData("redis://host", null)]
    [InlineData("redis://host:0", null)]
    [InlineData("redis://host:65536", null)]
    [InlineData("a:1,b:2", null)]
    [InlineData(":6379", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_one_address_parser_accepts_host_and_port_only(string? text, string? expected)
    {
        Assert.Equal(expected, TlsClusterAddress.Parse(text));
    }

    [Fact]
    public void A_module_with_a_cluster_address_nothing_acts_on_refuses_to_start_naming_the_parameter()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        TlsModuleOptions options = config.Options(o =>
        {
            o.ClusterAddress = "redis://127.0.0.1:6379";
            o.ClusterKeyFile = "cluster.key";
        });

        var error = Assert.Throws<TlsConfigurationException>(() => TlsModule.Create(options));
        TlsConfigurationDiagnostic refusal = Assert.Single(error.Errors);
        Assert.Equal("cluster_address", refusal.File);
        Assert.Contains("cluster_address is set ('redis://127.0.0.1:6379') but nothing in this process runs a cluster store to act on it", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("AddOpenSslTlsRedisCluster()", refusal.Message, StringComparison.Ordinal);

        // A host that runs the store says so; without an address nothing is asked of the host.
        using (TlsModule handled = TlsModule.Create(options, new TlsModuleHostOptions { HandlesClusterParameters = true }))
        {
            Assert.Equal("redis://127.0.0.1:6379", handled.ConfigVariables.Get("cluster_address"));
            Assert.Equal("cluster.key", handled.ConfigVariables.Get("cluster_key_file"));
        }

        using TlsModule plain = TlsModule.Create(config.Options(o => o.ClusterRotation = 60));
        Assert.Null(plain.ConfigVariables.Get("cluster_address"));
        Assert.Equal("60", plain.ConfigVariables.Get("cluster_rotation"));
    }

    [Theory]
    [InlineData("cluster_address")]
    [InlineData("cluster_key_file")]
    [InlineData("cluster_rotation")]
    [InlineData("cluster_window")]
    [InlineData("cluster_lookup_timeout")]
    [InlineData("cluster_key_prefix")]
    public void Changing_a_cluster_parameter_on_reload_is_refused_as_needing_a_restart_and_the_running_set_stays(string name)
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using var ring = new TlsTicketKeyRing();
        TlsModuleOptions start = config.Options(o =>
        {
            o.ClusterAddress = "redis://127.0.0.1:6379";
            o.ClusterKeyFile = "cluster.key";
        });
        using TlsModule module = TlsModule.Create(start, new TlsModuleHostOptions { HandlesClusterParameters = true, TicketKeys = ring });
        TlsModuleOptions changed = start.Clone();
        switch (name)
        {
            case "cluster_address": changed.ClusterAddress = "redis://127.0.0.1:6380"; break;
            case "cluster_key_file": changed.ClusterKeyFile = "other.key"; break;
            case "cluster_rotation": changed.ClusterRotation = 60; break;
            case "cluster_window": changed.ClusterWindow = 5; break;
            case "cluster_lookup_timeout": changed.ClusterLookupTimeout = 2000; break;
            default: changed.ClusterKeyPrefix = "other:"; break;
        }

        changed.VerifyDepth = 3; // a change a reload applies, refused with it: the reload is all or nothing
        TlsReloadResult result = module.Reload(changed);

        Assert.False(result.Succeeded);
        string error = Assert.Single(result.Errors);
        Assert.StartsWith($"{name}: cannot change while the module runs", error, StringComparison.Ordinal);
        Assert.Contains("restart to apply it", error, StringComparison.Ordinal);
        Assert.Equal(1, module.Info().Generation);
        Assert.Equal("redis://127.0.0.1:6379", module.Options()["cluster_address"]);

        // The same options with the cluster unchanged reload.
        TlsModuleOptions same = start.Clone();
        same.VerifyDepth = 3;
        Assert.True(module.Reload(same).Succeeded);
        Assert.Same(ring, module.Runtime.TicketKeys);
    }

    [Fact]
    public void Cluster_variables_are_read_only_and_cfg_set_says_a_restart_applies_them()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using TlsModule module = TlsModule.Create(config.Options());
        var error = Assert.Throws<TlsConfigVariableException>(() => module.ConfigVariables.Set("cluster_rotation", "60"));
        Assert.Equal(TlsConfigVariableError.ReadOnly, error.Error);
        Assert.Contains("tls.cluster_rotation is read-only", error.Message, StringComparison.Ordinal);
        Assert.Contains("restart to apply a change", error.Message, StringComparison.Ordinal);
    }
}
