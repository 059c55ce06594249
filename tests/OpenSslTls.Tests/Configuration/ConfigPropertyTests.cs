using System.Net;
using CsCheck;
using OpenSslTls.Configuration;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Tests.Configuration;

/// <summary>Property tests: grammar round trips, parser robustness, and selection against a plain reference model.</summary>
public sealed class ConfigPropertyTests
{
    [Fact]
    public void A_printed_profile_list_reads_back_to_the_same_profiles()
    {
        ConfigGenerators.ValidDefinitions.Sample(profiles =>
        {
            string text = TlsConfigWriter.Write(profiles);

            TlsConfigDocument document = CfgTestSupport.Parse(text);

            Assert.Equal(profiles, document.Profiles.Select(p => p with { Source = null }));
        }, iter: 500, print: profiles => TlsConfigWriter.Write(profiles));
    }

    [Fact]
    public void Any_text_value_survives_formatting_and_reading()
    {
        ConfigGenerators.Text.Sample(value =>
        {
            string line = "server_name = " + TlsConfigWriter.FormatValue(value);

            Assert.Equal(value, CfgTestSupport.Server(line).ServerName);
        }, iter: 2000);
    }

    [Fact]
    public void Arbitrary_text_either_parses_or_fails_with_located_errors()
    {
        Gen<string> lines = Gen.OneOf(
            Gen.OneOf("[server:default]", "[client:any]", "[s:10.0.0.1:0]", "[c:[::1]:5061]", "server_name = a", "verify_depth = 3", "method = TLSv1.2+", "# c", ""),
            Gen.Char["[]:=#\"\\ .-1aZ_\t~é"].Array[0, 20].Select(chars => new string(chars)));
        Gen<string> files = lines.Array[0, 12].Select(all => string.Join('\n', all));

        files.Sample(text =>
        {
            int lineCount = text.Split('\n').Length;
            try
            {
                CfgTestSupport.Parse(text);
            }
            catch (TlsConfigurationException error)
            {
                Assert.NotEmpty(error.Errors);
                Assert.All(error.Errors, e => Assert.InRange(e.Line, 1, lineCount));
                Assert.All(error.Errors, e => Assert.True(e.Column >= 1, e.ToString()));
            }
        }, iter: 3000);
    }

    [Fact]
    public void Arbitrary_modparam_text_either_applies_or_fails_with_located_errors()
    {
        Gen<string> lines = Gen.OneOf(
            Gen.OneOf("modparam(\"tls\", \"verify_depth\", 3)", "modparam(\"tm\", \"x\", 1)", "loadmodule \"tls.so\"", "/* c */", "# c", "modparam(\"tls\",", ""),
            Gen.Char["()\",'#/*-+;=0x1aZ_ \t~"].Array[0, 24].Select(chars => new string(chars)));
        Gen<string> files = lines.Array[0, 10].Select(all => string.Join('\n', all));

        files.Sample(text =>
        {
            int lineCount = text.Split('\n').Length;
            var options = new TlsModuleOptions();
            try
            {
                TlsModuleOptionsReader.ApplyModparams(options, text, "k.cfg");
            }
            catch (TlsConfigurationException error)
            {
                Assert.NotEmpty(error.Errors);
                Assert.All(error.Errors, e => Assert.InRange(e.Line, 0, lineCount));
            }
        }, iter: 3000);
    }

    [Fact]
    public void Printed_module_options_read_back_to_the_same_options()
    {
        Gen<TlsModuleOptions> options = Gen.Select(
            Gen.Select(Gen.Enum<TlsMethod>(), Gen.Int[0, 100], Gen.Int[-1, int.MaxValue], Gen.Bool, Gen.Enum<VerifyClientMode>(), Gen.Int[-1, 1]),
            Gen.Select(ConfigGenerators.Text, ConfigGenerators.Text.Null(0.5), ConfigGenerators.Text.Null(0.5), ConfigGenerators.Text.Null(0.5), ConfigGenerators.Int32Text),
            (numbers, texts) => new TlsModuleOptions
            {
                Method = numbers.Item1,
                VerifyDepth = numbers.Item2,
                ConnectionTimeout = numbers.Item3,
                SendCloseNotify = numbers.Item4,
                VerifyClient = numbers.Item5,
                ReadAhead = numbers.Item6,
                Certificate = texts.Item1,
                ServerName = texts.Item2,
                PrivateKeyPassword = texts.Item3,
                CipherList = texts.Item4,
                SessionId = texts.Item5,
            });

        options.Sample(original =>
        {
            string printed = TlsModuleOptionsReader.ToModparams(original);
            var read = new TlsModuleOptions();

            TlsModuleOptionsReader.ApplyModparams(read, printed, "printed.cfg");

            Assert.Equal(printed, TlsModuleOptionsReader.ToModparams(read));
            Assert.Equal((original.Method, original.ServerName, original.Certificate), (read.Method, read.ServerName, read.Certificate));
        }, iter: 500, print: TlsModuleOptionsReader.ToModparams);
    }

    [Fact]
    public void Server_selection_agrees_with_the_reference_model()
    {
        Gen.Select(ConfigGenerators.SelectionDefinitions, ConfigGenerators.EndPoint).Sample((profiles, local) =>
        {
            Assert.Equal(Model.Server(profiles, local), TlsProfileSelector.SelectServer(profiles, local));
        }, iter: 2000);
    }

    [Fact]
    public void Sni_selection_agrees_with_the_reference_model_and_only_returns_acceptable_profiles()
    {
        Gen.Select(ConfigGenerators.SelectionDefinitions, ConfigGenerators.EndPoint, ConfigGenerators.SniName).Sample((profiles, local, name) =>
        {
            int current = TlsProfileSelector.SelectServer(profiles, local);

            int selected = TlsProfileSelector.SelectServerBySni(profiles, current, local, name);

            Assert.Equal(Model.Sni(profiles, current, local, name), selected);
            if (selected >= 0)
            {
                TlsProfileDefinition chosen = profiles[selected];
                Assert.Equal(TlsRole.Server, chosen.Role);
                bool named = TlsProfileSelector.NameMatches(chosen.Settings, name!);
                bool fallback = Model.OnAddress(chosen, local) && string.IsNullOrEmpty(chosen.Settings.ServerName);
                Assert.True(named || fallback, $"{chosen} neither serves {name} nor is the unnamed profile of {local}");
                Assert.True(chosen.Scope != TlsProfileScope.Address || Model.OnAddress(chosen, local), $"{chosen} is on another address than {local}");
            }
        }, iter: 3000);
    }

    [Fact]
    public void Client_selection_agrees_with_the_reference_model()
    {
        Gen.Select(ConfigGenerators.SelectionDefinitions, ConfigGenerators.EndPoint, ConfigGenerators.SniName, ConfigGenerators.ServerId).Sample((profiles, remote, name, id) =>
        {
            int selected = TlsProfileSelector.SelectClient(profiles, remote, name, id);

            Assert.Equal(Model.Client(profiles, remote, name, id), selected);
            Assert.True(selected < 0 || profiles[selected].Role == TlsRole.Client);
        }, iter: 3000);
    }

    /// <summary>The selection rules restated as plain queries, independent of the implementation's loops.</summary>
    private static class Model
    {
        public static bool OnAddress(TlsProfileDefinition profile, IPEndPoint endPoint) =>
            profile.Scope == TlsProfileScope.Address
            && (profile.Port == 0 || profile.Port == endPoint.Port)
            && Unmap(profile.Address!).Equals(Unmap(endPoint.Address));

        public static int Server(IReadOnlyList<TlsProfileDefinition> profiles, IPEndPoint local)
        {
            int byAddress = LastIndex(profiles, p => p.Role == TlsRole.Server && OnAddress(p, local));
            return byAddress >= 0 ? byAddress : Default(profiles, TlsRole.Server);
        }

        public static int Sni(IReadOnlyList<TlsProfileDefinition> profiles, int current, IPEndPoint local, string? name)
        {
            if (string.IsNullOrEmpty(name))
            {
                return -1;
            }

            bool Serves(TlsProfileDefinition p) => p.Role == TlsRole.Server && Matches(p.Settings, name);
            int[] tiers =
            [
                LastIndex(profiles, p => Serves(p) && OnAddress(p, local)),
                LastIndex(profiles, p => Serves(p) && p.Scope == TlsProfileScope.Any),
                LastIndex(profiles, p => Serves(p) && p.Scope == TlsProfileScope.Default),
                current >= 0 && !string.IsNullOrEmpty(profiles[current].Settings.ServerName)
                    ? LastIndex(profiles, p => p.Role == TlsRole.Server && OnAddress(p, local) && string.IsNullOrEmpty(p.Settings.ServerName))
                    : -1,
            ];
            return tiers.FirstOrDefault(index => index >= 0, -1);
        }

        public static int Client(IReadOnlyList<TlsProfileDefinition> profiles, IPEndPoint remote, string? name, string? id)
        {
            int byId = string.IsNullOrEmpty(id) ? -1 : LastIndex(profiles, p => p.Role == TlsRole.Client && string.Equals(p.Settings.ServerId, id, StringComparison.OrdinalIgnoreCase));
            if (byId >= 0)
            {
                return byId;
            }

            bool BothNamed(TlsProfileDefinition p) => !string.IsNullOrEmpty(name) && !string.IsNullOrEmpty(p.Settings.ServerName);
            int byAddress = LastIndex(profiles, p =>
                p.Role == TlsRole.Client
                && (p.Scope == TlsProfileScope.Any || OnAddress(p, remote))
                && (BothNamed(p) ? Matches(p.Settings, name!) : p.Scope != TlsProfileScope.Any));
            return byAddress >= 0 ? byAddress : Default(profiles, TlsRole.Client);
        }

        private static bool Matches(TlsProfileSettings settings, string name)
        {
            string? own = settings.ServerName?.ToLowerInvariant();
            string asked = name.ToLowerInvariant();
            if (string.IsNullOrEmpty(own))
            {
                return false;
            }

            bool exact = asked == own;
            bool below = asked.EndsWith("." + own, StringComparison.Ordinal) && asked.Length > own.Length + 1;
            return settings.ServerNameMode switch
            {
                ServerNameMode.Exact => exact,
                ServerNameMode.DomainAndSubdomains => exact || below,
                _ => below,
            };
        }

        private static int Default(IReadOnlyList<TlsProfileDefinition> profiles, TlsRole role) =>
            LastIndex(profiles, p => p.Role == role && p.Scope == TlsProfileScope.Default);

        private static int LastIndex(IReadOnlyList<TlsProfileDefinition> profiles, Func<TlsProfileDefinition, bool> predicate) =>
            profiles.Select((profile, index) => (profile, index)).Where(e => predicate(e.profile)).Select(e => e.index).DefaultIfEmpty(-1).Last();

        private static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
