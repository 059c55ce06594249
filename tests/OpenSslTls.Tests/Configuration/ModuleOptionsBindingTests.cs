using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;
using OpenSslTls.Configuration;
using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Configuration;

/// <summary>TlsModuleOptions from appsettings.json and environment variables, its checks, and where its values go.</summary>
// Process-wide: sets environment variables, which every process another test starts meanwhile would inherit.
[Collection(ProcessWideCollection.Name)]
public sealed class ModuleOptionsBindingTests
{
    private static IConfigurationRoot Json(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    [Fact]
    public void Kamailio_names_bind_from_an_appsettings_section()
    {
        IConfigurationRoot configuration = Json("""
            {
              "Tls": {
                "tls_method": "TLSv1.3",
                "verify_certificate": true,
                "require_certificate": "1",
                "verify_depth": 4,
                "verify_client": "optional_no_ca",
                "certificate": "certs/server.pem",
                "server_name": "sip.example.org",
                "connection_timeout": -1,
                "send_close_notify": "yes",
                "con_ct_wq_max": 1024,
                "session_cache": false,
                "low_mem_threshold1": 2048,
                "engine": "NONE",
                "MainConfigDirectory": "/etc/kamailio"
              }
            }
            """);

        TlsModuleOptions options = TlsModuleOptionsReader.FromConfiguration(configuration);

        Assert.Equal(TlsMethod.TLSv1_3, options.Method);
        Assert.True(options.VerifyCertificate);
        Assert.True(options.RequireCertificate);
        Assert.Equal(4, options.VerifyDepth);
        Assert.Equal(VerifyClientMode.OptionalNoCa, options.VerifyClient);
        Assert.Equal(-1, options.ConnectionTimeout);
        Assert.True(options.SendCloseNotify);
        Assert.Equal(1024, options.ConnectionClearTextQueueMax);
        Assert.Equal(2048, options.LowMemoryThreshold1);
        Assert.Equal("/etc/kamailio", options.MainConfigDirectory);
        Assert.Equal("/etc/kamailio/certs/server.pem", options.ToProfileSettings().Certificate);
        Assert.Equal("/etc/kamailio/certs/server.pem", options.ToProfileSettings().PrivateKey);
    }

    [Fact]
    public void Kamailio_names_bind_from_environment_variables()
    {
        const string Prefix = "OPENSSLTLS_CONFIG_TEST_";
        string[] names = [Prefix + "Tls__tls_method", Prefix + "Tls__verify_certificate", Prefix + "Tls__ct_wq_max"];
        try
        {
            Environment.SetEnvironmentVariable(names[0], "TLSv1.2");
            Environment.SetEnvironmentVariable(names[1], "1");
            Environment.SetEnvironmentVariable(names[2], "4194304");
            IConfigurationRoot configuration = new ConfigurationBuilder().AddEnvironmentVariables(Prefix).Build();

            TlsModuleOptions options = TlsModuleOptionsReader.FromConfiguration(configuration);

            Assert.Equal(TlsMethod.TLSv1_2, options.Method);
            Assert.True(options.VerifyCertificate);
            Assert.Equal(4194304, options.ClearTextQueueMax);
        }
        finally
        {
            foreach (string name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Fact]
    public void Later_providers_override_earlier_ones()
    {
        IConfigurationRoot configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream("""{ "Tls": { "verify_depth": 3, "tls_method": "TLSv1.2" } }"""u8.ToArray()))
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Tls:verify_depth", "7")])
            .Build();

        TlsModuleOptions options = TlsModuleOptionsReader.FromConfiguration(configuration);

        Assert.Equal(7, options.VerifyDepth);
        Assert.Equal(TlsMethod.TLSv1_2, options.Method);
    }

    [Fact]
    public void Keys_are_case_insensitive_like_all_configuration_keys()
    {
        TlsModuleOptions options = TlsModuleOptionsReader.FromConfiguration(Json("""{ "tls": { "TLS_METHOD": "tlsv1.3+", "Verify_Depth": 2 } }"""));

        Assert.Equal(TlsMethod.TLSv1_3Plus, options.Method);
        Assert.Equal(2, options.VerifyDepth);
    }

    [Fact]
    public void Another_section_name_can_be_read()
    {
        TlsModuleOptions options = TlsModuleOptionsReader.FromConfiguration(Json("""{ "Sip": { "Tls": { "verify_depth": 1 } } }"""), "Sip:Tls");

        Assert.Equal(1, options.VerifyDepth);
    }

    [Fact]
    public void A_missing_section_leaves_every_default()
    {
        TlsModuleOptions options = TlsModuleOptionsReader.FromConfiguration(Json("{}"));

        Assert.Equal(TlsModuleOptionsReader.ToModparams(new TlsModuleOptions()), TlsModuleOptionsReader.ToModparams(options));
    }

    [Fact]
    public void Every_wrong_key_type_and_range_is_reported_with_its_key_and_provider()
    {
        IConfigurationRoot configuration = Json("""
            {
              "Tls": {
                "verify_depth": "deep",
                "verify_certificate": "maybe",
                "tls_method": "TLSv9",
                "ssl_max_send_fragment": 100,
                "bogus": 1,
                "certificate": { "nested": "x" }
              }
            }
            """);

        var error = Assert.Throws<TlsConfigurationException>(() => TlsModuleOptionsReader.FromConfiguration(configuration));

        Assert.All(error.Errors, e => Assert.Equal((0, 0), (e.Line, e.Column)));
        Assert.All(error.Errors, e => Assert.Contains("JsonStreamConfigurationProvider", e.File, StringComparison.Ordinal));
        Assert.Equal(
            [
                "bogus: unknown parameter 'bogus' of module tls",
                "certificate: 'certificate' must be a single value, not a section",
                "ssl_max_send_fragment: ssl_max_send_fragment must be -1 or 512..16384, not 100",
                "tls_method: tls_method must be one of SSLv23, SSLv2, SSLv3, TLSv1, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3, TLSv1+, TLSv1.0+, TLSv1.1+, TLSv1.2+, TLSv1.3+, not 'TLSv9'",
                "verify_certificate: verify_certificate takes a boolean (an integer, 0 off and anything else on, or true/false), not 'maybe'",
                "verify_depth: verify_depth takes an integer, not 'deep'",
            ],
            error.Errors.Select(e => e.File.Split(' ')[0]["Tls:".Length..] + ": " + e.Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_json_file_provider_is_named_in_errors()
    {
        using var directory = new TempDirectory();
        string file = directory.Write("appsettings.json", """{ "Tls": { "verify_depth": 500 } }""");
        IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonFile(file).Build();

        var error = Assert.Throws<TlsConfigurationException>(() => TlsModuleOptionsReader.FromConfiguration(configuration));

        TlsConfigurationDiagnostic only = Assert.Single(error.Errors);
        Assert.StartsWith("Tls:verify_depth (JsonConfigurationProvider for 'appsettings.json'", only.File, StringComparison.Ordinal);
        Assert.Equal("verify_depth must be 0..100, not 500", only.Message);
    }

    [Fact]
    public void Errors_through_a_section_name_the_key_path_only()
    {
        IConfigurationSection section = Json("""{ "App": { "Tls": { "verify_depth": 500 } } }""").GetSection("App");

        var error = Assert.Throws<TlsConfigurationException>(() => TlsModuleOptionsReader.FromConfiguration(section));

        Assert.Equal("App:Tls:verify_depth: verify_depth must be 0..100, not 500", Assert.Single(error.Errors).ToString());
    }

    [Fact]
    public void Nothing_is_applied_when_there_is_an_error()
    {
        var options = new TlsModuleOptions();

        Assert.Throws<TlsConfigurationException>(() =>
            TlsModuleOptionsReader.ApplyConfiguration(options, Json("""{ "Tls": { "verify_depth": 3, "tls_log": -6 } }""")));

        Assert.Equal(9, options.VerifyDepth);
    }

    [Fact]
    public void Defaults_are_kamailios_except_the_method()
    {
        var options = new TlsModuleOptions();

        Assert.Equal(TlsMethod.TLSv1_2Plus, options.Method);
        Assert.Equal("cert.pem", options.Certificate);
        Assert.Null(options.PrivateKey);
        Assert.Equal(9, options.VerifyDepth);
        Assert.Equal(600, options.ConnectionTimeout);
        Assert.True(options.DisableCompression);
        Assert.Equal(1, options.ReleaseBuffers);
        Assert.Equal(0, options.FreelistMaxLength);
        Assert.Equal(-1, options.MaxSendFragment);
        Assert.Equal(0, options.ReadAhead);
        Assert.Equal(65536, options.ConnectionClearTextQueueMax);
        Assert.Equal(10 * 1024 * 1024, options.ClearTextQueueMax);
        Assert.Equal(4096, options.ClearTextQueueBlockSize);
        Assert.Equal(3, options.LogLevel);
        Assert.Equal(3, options.DebugLevel);
        Assert.Equal(-1, options.LowMemoryThreshold1);
        Assert.Equal(-1, options.LowMemoryThreshold2);
        Assert.Equal("NONE", options.Engine);
        Assert.Equal("NONE", options.EngineConfig);
        Assert.Equal("ALL", options.EngineAlgorithms);
        Assert.Equal(VerifyClientMode.Off, options.VerifyClient);
        options.Validate();
    }

    [Fact]
    public void Validate_lists_every_value_out_of_range_by_kamailio_name()
    {
        var options = new TlsModuleOptions
        {
            VerifyDepth = 101,
            ClearTextQueueBlockSize = 0,
            Method = (TlsMethod)42,
            VerifyClient = (VerifyClientMode)9,
            SessionId = new string('x', 33),
            KeylogMode = 8,
        };

        var error = Assert.Throws<TlsConfigurationException>(options.Validate);

        Assert.Equal(
            [
                "tls_method: tls_method must be one of SSLv23, SSLv2, SSLv3, TLSv1, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3, TLSv1+, TLSv1.0+, TLSv1.1+, TLSv1.2+, TLSv1.3+, not '42'",
                "verify_depth: verify_depth must be 0..100, not 101",
                "verify_client: verify_client must be one of off, on, optional, optional_no_ca, not '9'",
                "ct_wq_blk_size: ct_wq_blk_size must be 1..65536, not 0",
                $"session_id: session_id must be at most 32 bytes, not '{new string('x', 33)}'",
                "keylog_mode: keylog_mode has bit 8 (append to keylog_file) but keylog_file is not set",
            ],
            error.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Profile_parameters_become_the_shared_default_template()
    {
        var options = new TlsModuleOptions
        {
            MainConfigDirectory = "/etc/kamailio",
            Method = TlsMethod.TLSv1_3,
            Certificate = "server.pem",
            PrivateKey = "/keys/server.key",
            CaList = "./ca.pem",
            Crl = "crl.pem",
            VerifyCertificate = true,
            RequireCertificate = true,
            VerifyDepth = 2,
            VerifyClient = VerifyClientMode.Optional,
            CipherList = "TLS_AES_128_GCM_SHA256",
            CipherSuites = "TLS_AES_256_GCM_SHA384",
        };

        Assert.Equal(
            new TlsProfileSettings
            {
                Method = TlsMethod.TLSv1_3,
                Certificate = "/etc/kamailio/server.pem",
                PrivateKey = "/keys/server.key",
                CaList = Path.GetFullPath("ca.pem"),
                Crl = "/etc/kamailio/crl.pem",
                VerifyCertificate = true,
                RequireCertificate = true,
                VerifyDepth = 2,
                VerifyClient = VerifyClientMode.Optional,
                CipherList = "TLS_AES_128_GCM_SHA256",
                CipherSuites = "TLS_AES_256_GCM_SHA384",
            },
            options.ToProfileSettings());
    }

    [Fact]
    public void Global_parameters_become_the_tuning()
    {
        var options = new TlsModuleOptions
        {
            DisableCompression = false,
            ReleaseBuffers = -1,
            FreelistMaxLength = 5,
            MaxSendFragment = 1024,
            ReadAhead = 1,
            SessionCache = true,
            SessionId = "sid",
            Renegotiation = true,
        };

        Assert.Equal(
            new TlsTuning
            {
                DisableCompression = false,
                ReleaseBuffers = -1,
                FreelistMaxLength = 5,
                MaxSendFragment = 1024,
                ReadAhead = 1,
                SessionCache = true,
                SessionId = "sid",
                Renegotiation = true,
            },
            options.ToTuning());
    }

    [Fact]
    public void Runtime_parameters_and_force_run_are_carried_over()
    {
        var options = new TlsModuleOptions
        {
            ConnectionTimeout = 30,
            SendCloseNotify = true,
            ConnectionClearTextQueueMax = 100,
            ClearTextQueueMax = 1000,
            ClearTextQueueBlockSize = 10,
            LogLevel = -1,
            DebugLevel = 5,
            LowMemoryThreshold1 = 0,
            LowMemoryThreshold2 = 2048,
            Config = "tls.cfg",
            ForceRun = true,
        };

        TlsRuntimeParameters runtime = options.CreateRuntimeParameters();
        var runtimeOptions = new OpenSslRuntimeOptions();
        options.ApplyTo(runtimeOptions);

        Assert.Equal((30, true, 100, 1000, 10), (runtime.ConnectionTimeout, runtime.SendCloseNotify, runtime.ConnectionClearTextQueueMax, runtime.ClearTextQueueMax, runtime.ClearTextQueueBlockSize));
        Assert.Equal((-1, 5, 0, 2048, "tls.cfg"), (runtime.LogLevel, runtime.DebugLevel, runtime.LowMemoryThreshold1, runtime.LowMemoryThreshold2, runtime.Config));
        Assert.True(runtimeOptions.ForceRun);
    }

    [Fact]
    public void Engine_parameters_become_engine_options_with_the_config_file_resolved()
    {
        var options = new TlsModuleOptions { MainConfigDirectory = "/etc/kamailio", Engine = "pkcs11", EngineConfig = "engine.cnf", EngineAlgorithms = "RSA,EC" };

        TlsEngineOptions engine = options.ToEngineOptions();

        Assert.Equal(("pkcs11", "/etc/kamailio/engine.cnf", "RSA,EC"), (engine.Engine, engine.EngineConfig, engine.EngineAlgorithms));
        Assert.False(new TlsModuleOptions().ToEngineOptions().IsEnabled);
        Assert.Null(new TlsModuleOptions().ToEngineOptions().ConfigFile);
    }

    [Fact]
    public void The_config_path_resolves_against_the_main_directory()
    {
        Assert.Equal("/etc/kamailio/tls.cfg", new TlsModuleOptions { MainConfigDirectory = "/etc/kamailio", Config = "tls.cfg" }.ResolveConfigPath());
        Assert.Null(new TlsModuleOptions().ResolveConfigPath());
    }

    [Fact]
    public void Readers_copy_every_property()
    {
        var source = new TlsModuleOptions();
        foreach (PropertyInfo property in typeof(TlsModuleOptions).GetProperties().Where(p => p.CanWrite))
        {
            object value = property.PropertyType switch
            {
                Type t when t == typeof(string) => "value-" + property.Name,
                Type t when t == typeof(int) => property.Name.Length + 1000,
                Type t when t == typeof(bool) => !(bool)property.GetValue(source)!,
                Type t when t == typeof(TlsMethod) => TlsMethod.TLSv1_1,
                Type t when t == typeof(VerifyClientMode) => VerifyClientMode.On,
                Type t when t == typeof(IReadOnlyList<TlsProfileDefinition>) => new[] { TlsProfileDefinition.ForDefault(TlsRole.Client, new TlsProfileSettings()) },
                Type t => throw new InvalidOperationException($"no test value for {t}"),
            };
            property.SetValue(source, value);
        }

        var target = new TlsModuleOptions();
        target.CopyFrom(source);

        foreach (PropertyInfo property in typeof(TlsModuleOptions).GetProperties().Where(p => p.CanWrite))
        {
            Assert.True(Equals(property.GetValue(source), property.GetValue(target)), $"{property.Name} was not copied");
        }
    }

    [Fact]
    public void Every_module_parameter_maps_to_an_option_property_and_back()
    {
        // Each parameter's text form survives a set/get through its property.
        foreach (string line in TlsModuleOptionsReader.ToModparams(new TlsModuleOptions()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var options = new TlsModuleOptions();
            TlsModuleOptionsReader.ApplyModparams(options, line, "line");
            Assert.Contains(line + "\n", TlsModuleOptionsReader.ToModparams(options), StringComparison.Ordinal);
        }
    }
}
