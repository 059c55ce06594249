using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenSslTls.Configuration;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Hosting;

/// <summary>
/// Binding a configuration section (issue 19.4): every module parameter by its Kamailio name and by its .NET name,
/// profiles as a list of tls.cfg sections read with tls.cfg's own rules, and errors naming the key.
/// </summary>
public sealed class ConfigurationBindingTests
{
    private static TlsModuleOptions Bind(Dictionary<string, string?> values)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new TlsModuleOptions();
        TlsModuleOptionsReader.ApplySection(options, configuration.GetSection("Tls"));
        return options;
    }

    /// <summary>The options a DI container makes from the section, as a service would get them.</summary>
    private static TlsModuleOptions Resolve(Dictionary<string, string?> values)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddOpenSslTls(configuration.GetSection("Tls"));
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<TlsModuleOptions>>().Value;
    }

    [Theory]
    [InlineData("verify_depth", "VerifyDepth", "4")] // integer
    [InlineData("verify_certificate", "VerifyCertificate", "true")] // boolean
    [InlineData("tls_method", "Method", "TLSv1.3")] // method name
    [InlineData("verify_client", "VerifyClient", "optional_no_ca")] // verify_client name
    [InlineData("private_key", "PrivateKey", "keys/server.key")] // file name
    [InlineData("cipher_list", "CipherList", "HIGH:!aNULL")] // text
    [InlineData("con_ct_wq_max", "ConnectionClearTextQueueMax", "1024")] // a name that differs in words
    [InlineData("tcp_connection_lifetime", "ConnectionLifetime", "30")] // Kamailio's core parameter
    [InlineData("tls_log", "LogLevel", "1")]
    [InlineData("ssl_release_buffers", "ReleaseBuffers", "0")]
    [InlineData("tls_disable_compression", "DisableCompression", "0")]
    [InlineData("keylog_peer", "KeylogPeer", "udp:127.0.0.1:9999")]
    public void A_parameter_binds_alike_by_its_Kamailio_name_and_its_dotnet_name(string kamailio, string dotnet, string value)
    {
        TlsModuleOptions byKamailio = Resolve(new() { [$"Tls:{kamailio}"] = value });
        TlsModuleOptions byDotnet = Resolve(new() { [$"Tls:{dotnet}"] = value });

        Assert.Equal(TlsModuleOptionsReader.ToModparams(byKamailio), TlsModuleOptionsReader.ToModparams(byDotnet));
        Assert.NotEqual(TlsModuleOptionsReader.ToModparams(new TlsModuleOptions()), TlsModuleOptionsReader.ToModparams(byDotnet));
    }

    [Fact]
    public void Every_module_option_property_has_its_dotnet_name_bound_to_the_parameter_it_sets()
    {
        string[] special = [nameof(TlsModuleOptions.MainConfigDirectory), nameof(TlsModuleOptions.MaxClientHelloBytes), nameof(TlsModuleOptions.Profiles)];
        PropertyInfo[] properties = [.. typeof(TlsModuleOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && !special.Contains(p.Name))];
        foreach (PropertyInfo property in properties)
        {
            Assert.True(OptionPropertyNames.ModuleParameters.TryGetValue(property.Name, out string? kamailio), $"{property.Name} has no Kamailio name");
            Assert.True(ModuleParameters.TryGet(kamailio, out ModuleParameter parameter), $"{property.Name} maps to unknown {kamailio}");

            if (parameter.Name == "key_password_mode")
            {
                continue; // 0 is its only accepted value, and its default
            }

            // Set through the .NET name: the property itself must change (not some other parameter).
            var options = new TlsModuleOptions();
            object? before = property.GetValue(options);
            string text = SampleValue(parameter, options);
            // The cluster's address and key file go together (each alone is an error); the partner is set by its Kamailio name.
            Dictionary<string, string?> values = new() { [$"Tls:{property.Name}"] = text };
            if (parameter.Name is "cluster_address" or "cluster_key_file")
            {
                values[parameter.Name == "cluster_address" ? "Tls:cluster_key_file" : "Tls:cluster_address"] = parameter.Name == "cluster_address" ? "cluster.key" : "redis://127.0.0.1:6379";
            }

            TlsModuleOptions bound = Bind(values);
            Assert.True(!Equals(before, property.GetValue(bound)), $"{property.Name} = '{text}' did not change {property.Name}");
        }

        Assert.Equal(properties.Length, OptionPropertyNames.ModuleParameters.Count);
    }

    /// <summary>A valid value other than the default, by the parameter's type.</summary>
    private static string SampleValue(ModuleParameter parameter, TlsModuleOptions defaults) => parameter.Name switch
    {
        "tls_method" => "TLSv1.3",
        "verify_client" => "on",
        "key_password_mode" => "0",
        "rand_engine" => "cryptorand",
        "session_id" => "sample-session",
        "keylog_peer" => "udp:127.0.0.1:9999",
        "keylog_mode" => "3",
        "init_mode" => "1",
        "ssl_max_send_fragment" => "1024",
        "tls_log" or "tls_debug" => "1",
        "ct_wq_blk_size" => "512",
        "cluster_address" => "redis://127.0.0.1:6379",
        "cluster_window" => "5",
        _ when parameter.IsBoolean => parameter.GetText(defaults) == "1" ? "false" : "true",
        _ when parameter.Type == ModuleParameterType.Integer => parameter.GetText(defaults) == "7" ? "8" : "7",
        _ => "sample-value",
    };

    [Fact]
    public void Profiles_bind_by_tls_cfg_keys_and_by_dotnet_names_as_the_same_tls_cfg_would_read()
    {
        TlsModuleOptions options = Bind(new()
        {
            ["Tls:MainConfigDirectory"] = "/etc/sip",
            ["Tls:Profiles:0:Profile"] = "server:default",
            ["Tls:Profiles:0:certificate"] = "tls/server.pem",
            ["Tls:Profiles:0:pkey_file"] = "tls/server.key",
            ["Tls:Profiles:0:verify_depth"] = "4",
            ["Tls:Profiles:1:Profile"] = "server:10.0.0.1:5061",
            ["Tls:Profiles:1:Certificate"] = "/srv/sip.pem",
            ["Tls:Profiles:1:ServerName"] = "sip.example.org",
            ["Tls:Profiles:1:ServerNameMode"] = "1",
            ["Tls:Profiles:1:VerifyClient"] = "optional",
            ["Tls:Profiles:1:RequireCertificate"] = "true",
            ["Tls:Profiles:2:Profile"] = "client:any",
            ["Tls:Profiles:2:Method"] = "TLSv1.3",
            ["Tls:Profiles:2:server_name"] = "peer.example.org",
            ["Tls:Profiles:2:ServerId"] = "peer",
            ["Tls:Profiles:2:VerifyCertificate"] = "yes",
            ["Tls:Profiles:2:VerifyHostname"] = "no",
            ["Tls:Profiles:2:CipherSuites"] = "TLS_AES_256_GCM_SHA384",
        });

        TlsConfigDocument expected = TlsConfigReader.Parse("""
            [server:default]
            certificate = tls/server.pem
            private_key = tls/server.key
            verify_depth = 4
            [server:10.0.0.1:5061]
            certificate = /srv/sip.pem
            server_name = sip.example.org
            server_name_mode = 1
            verify_client = optional
            require_certificate = yes
            [client:any]
            method = TLSv1.3
            server_name = peer.example.org
            server_id = peer
            verify_certificate = yes
            verify_hostname = no
            cipher_suites = TLS_AES_256_GCM_SHA384
            """, "tls.cfg", "/etc/sip");
        Assert.Equal(expected.Profiles.Select(p => p with { Source = null }), options.Profiles.Select(p => p with { Source = null }));
        Assert.Equal("/etc/sip/tls/server.key", options.Profiles[0].Settings.PrivateKey);
        Assert.Equal(["Tls:Profiles:0", "Tls:Profiles:1", "Tls:Profiles:2"], options.Profiles.Select(p => p.Source));
    }

    [Fact]
    public void The_config_key_names_a_tls_cfg_file_by_either_name()
    {
        Assert.Equal("tls.cfg", Bind(new() { ["Tls:config"] = "tls.cfg" }).Config);
        Assert.Equal("tls.cfg", Bind(new() { ["Tls:Config"] = "tls.cfg" }).Config);
        Assert.Equal(20000, Bind(new() { ["Tls:MaxClientHelloBytes"] = "20000" }).MaxClientHelloBytes);
    }

    [Theory]
    [InlineData("Tls:verify_depth", "500", "Tls:verify_depth: verify_depth must be 0..100, not 500")]
    [InlineData("Tls:VerifyDepth", "deep", "Tls:VerifyDepth: verify_depth takes an integer, not 'deep'")]
    [InlineData("Tls:tls_method", "TLSv9", "Tls:tls_method: tls_method must be one of")]
    [InlineData("Tls:verify_dept", "3", "Tls:verify_dept: unknown parameter 'verify_dept' of module tls")]
    [InlineData("Tls:MaxClientHelloBytes", "10", "Tls:MaxClientHelloBytes: MaxClientHelloBytes must be an integer 512..16777215, not '10'")]
    [InlineData("Tls:Profiles:0:VerifyDepth", "deep", "Tls:Profiles:0:VerifyDepth: Invalid integer value 'deep' for 'verify_depth'")]
    [InlineData("Tls:Profiles:0:verify_cert", "maybe", "Tls:Profiles:0:verify_cert: Invalid boolean value 'maybe' for 'verify_certificate'")]
    [InlineData("Tls:Profiles:0:certfile", "x.pem", "Tls:Profiles:0:certfile: Unsupported option 'certfile'")]
    [InlineData("Tls:Profiles:0:Profile", "server:10.0.0.1", "Tls:Profiles:0:Profile:")]
    public async Task A_bad_value_fails_the_host_start_naming_the_key(string key, string value, string message)
    {
        Dictionary<string, string?> values = HostingTestHost.DefaultProfiles();
        values[key] = value;
        using HostingTestHost test = HostingTestHost.Build(values);

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => test.Host.StartAsync());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_that_cannot_load_fails_the_host_start_naming_the_file()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"openssltls-missing-{Guid.NewGuid():N}.pem");
        Dictionary<string, string?> values = HostingTestHost.DefaultProfiles();
        values["Tls:Profiles:0:certificate"] = missing;
        using HostingTestHost test = HostingTestHost.Build(values);

        var error = await Assert.ThrowsAsync<OpenSslTls.Errors.TlsProfileSetException>(() => test.Host.StartAsync());
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_set_in_code_are_validated_at_start_naming_the_parameter()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOpenSslTls(options =>
        {
            options.VerifyDepth = 500;
            options.Config = "tls.cfg";
            options.Profiles = [TlsProfileDefinition.ForDefault(TlsRole.Client, new TlsProfileSettings())];
        });
        using IHost host = builder.Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("verify_depth: verify_depth must be 0..100, not 500", error.Message, StringComparison.Ordinal);
        Assert.Contains("config: config ('tls.cfg') and Profiles (1) are both set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_profile_list_breaking_the_tls_cfg_rules_is_refused_on_the_entry()
    {
        var error = Assert.Throws<OpenSslTls.Errors.TlsConfigurationException>(() => Bind(new()
        {
            ["Tls:Profiles:0:Profile"] = "server:default",
            ["Tls:Profiles:1:Profile"] = "client:any",
        }));
        Assert.Contains(error.Errors, e => e.File == "Tls:Profiles:1:Profile" && e.Message.Contains("server_name", StringComparison.Ordinal));
    }
}
