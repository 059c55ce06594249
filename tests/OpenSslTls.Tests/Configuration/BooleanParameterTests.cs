using Microsoft.Extensions.Configuration;
using OpenSslTls.Configuration;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.Configuration;

/// <summary>
/// Kamailio's boolean module parameters are C integers tested for non-zero: 0 is off, any other integer (its own
/// documentation sets <c>tls_force_run</c> to 11; negative values too) is on. tls.cfg booleans are the cfg parser's
/// words (yes/no, on/off, 1/0 …) only.
/// </summary>
public sealed class BooleanParameterTests
{
    /// <summary>Every boolean module parameter and the option it sets.</summary>
    private static readonly Dictionary<string, Func<TlsModuleOptions, bool>> Booleans = new(StringComparer.Ordinal)
    {
        ["verify_certificate"] = o => o.VerifyCertificate,
        ["require_certificate"] = o => o.RequireCertificate,
        ["tls_disable_compression"] = o => o.DisableCompression,
        ["send_close_notify"] = o => o.SendCloseNotify,
        ["tls_force_run"] = o => o.ForceRun,
        ["session_cache"] = o => o.SessionCache,
        ["renegotiation"] = o => o.Renegotiation,
        ["provider_quirks"] = o => o.ProviderQuirks,
    };

    public static TheoryData<string, int, bool> Values()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (string name in Booleans.Keys)
        {
            foreach ((int value, bool on) in new[] { (11, true), (2, true), (-1, true), (int.MaxValue, true), (1, true), (0, false) })
            {
                data.Add(name, value, on);
            }
        }

        return data;
    }

    [Fact]
    public void The_list_covers_every_boolean_module_parameter()
    {
        Assert.Equal(
            Booleans.Keys.Order(StringComparer.Ordinal),
            ModuleParameters.All.Where(parameter => parameter.IsBoolean).Select(parameter => parameter.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Values))]
    public void A_modparam_takes_any_non_zero_integer_as_on(string name, int value, bool on)
    {
        var options = new TlsModuleOptions();
        TlsModuleOptionsReader.ApplyModparams(options, $"modparam(\"tls\", \"{name}\", {value})", "kamailio.cfg");

        Assert.Equal(on, Booleans[name](options));
        Assert.Contains($"modparam(\"tls\", \"{name}\", {(on ? 1 : 0)})", TlsModuleOptionsReader.ToModparams(options), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Values))]
    public void A_configuration_key_takes_any_non_zero_integer_as_on(string name, int value, bool on)
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"Tls:{name}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            .Build();

        Assert.Equal(on, Booleans[name](TlsModuleOptionsReader.FromConfiguration(configuration)));
    }

    [Fact]
    public async Task The_documented_tls_force_run_example_passes_check()
    {
        TestPki pki = TestPki.Instance;
        string directory = Path.Combine(Path.GetTempPath(), $"openssltls-bool-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            string file = Path.Combine(directory, "kamailio.cfg");
            File.WriteAllText(file, $"""
                modparam("tls", "certificate", "{pki.ServerEcCertificate}")
                modparam("tls", "private_key", "{pki.ServerEcKey}")
                modparam("tls", "tls_force_run", 11)
                modparam("tls", "session_cache", -1)
                """);
            using var output = new StringWriter();
            using var errors = new StringWriter();

            int exit = await CheckCommand.RunAsync([file], output, errors);

            Assert.True(exit == ExitCodes.Success, output.ToString() + errors);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(-7, -1)]
    [InlineData(-1, -1)]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(5, 1)]
    public void Ssl_read_ahead_and_ssl_release_buffers_are_read_by_sign(int value, int applied)
    {
        var options = new TlsModuleOptions();
        TlsModuleOptionsReader.ApplyModparams(options, $"modparam(\"tls\", \"ssl_read_ahead\", {value})\nmodparam(\"tls\", \"ssl_release_buffers\", {value})", "kamailio.cfg");

        Assert.Equal(applied, options.ToTuning().ReadAhead);
        Assert.Equal(applied, options.ToTuning().ReleaseBuffers);
    }

    [Theory]
    [InlineData("verify_certificate = 11")]
    [InlineData("require_certificate = 2")]
    public void A_tls_cfg_boolean_is_one_of_the_cfg_parser_words(string line)
    {
        Assert.StartsWith("2:", CfgTestSupport.Error("[server:default]\n" + line), StringComparison.Ordinal);
    }
}
