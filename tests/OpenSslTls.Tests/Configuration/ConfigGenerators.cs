using System.Net;
using CsCheck;
using OpenSslTls.Configuration;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Configuration;

/// <summary>CsCheck generators for profile definitions, profile lists and module options.</summary>
internal static class ConfigGenerators
{
    /// <summary>Characters that exercise quoting: delimiters, quotes, backslashes, comment marks, whitespace, non-ASCII, controls.</summary>
    private const string AwkwardCharacters = "abcXYZ019_=:;.,?[]/@!$%&*()-+|'\"\\# \t\n\r~<>{}^`é€\u0001";

    public static readonly Gen<string> Text = Gen.Char[AwkwardCharacters].Array[1, 12].Select(chars => new string(chars));

    /// <summary>Strings of at most 32 UTF-8 bytes, as session_id needs.</summary>
    public static readonly Gen<string> Int32Text = Gen.Char["abcXYZ019_-. \"\\"].Array[0, 32].Select(chars => new string(chars));

    public static readonly Gen<string> AbsolutePath = Text.Select(text => "/" + text);

    private static readonly Gen<string?> OptionalText = Text.Null(0.5);

    private static readonly Gen<string?> OptionalPath = AbsolutePath.Null(0.5);

    public static readonly Gen<TlsProfileSettings> Settings = Gen.Select(
        Gen.Select(Gen.Enum<TlsMethod>(), Gen.Bool, Gen.Bool, Gen.Enum<VerifyClientMode>(), Gen.Int[0, 100], Gen.Enum<ServerNameMode>()),
        Gen.Select(OptionalPath, OptionalPath, OptionalText, OptionalPath, OptionalPath, OptionalPath),
        Gen.Select(OptionalText, OptionalText, OptionalText, OptionalText, OptionalPath, OptionalPath, OptionalText),
        (flags, files, texts) => new TlsProfileSettings
        {
            Method = flags.Item1,
            VerifyCertificate = flags.Item2,
            RequireCertificate = flags.Item3,
            VerifyClient = flags.Item4,
            VerifyDepth = flags.Item5,
            ServerNameMode = flags.Item6,
            Certificate = files.Item1,
            PrivateKey = files.Item2,
            PrivateKeyPassword = files.Item3,
            CaList = files.Item4,
            CaPath = files.Item5,
            Crl = files.Item6,
            CipherList = texts.Item1,
            CipherSuites = texts.Item2,
            ServerName = texts.Item3,
            ServerId = texts.Item4,
            Certificate2 = texts.Item5,
            PrivateKey2 = texts.Item6,
            PrivateKeyPassword2 = texts.Item7,
        });

    public static readonly Gen<IPAddress> AnyAddress = Gen.OneOf(
        Gen.Byte.Array[4].Select(bytes => new IPAddress(bytes)),
        Gen.Byte.Array[16].Select(bytes => new IPAddress(bytes)));

    public static readonly Gen<TlsProfileDefinition> Definition = Gen.Select(
        Gen.Enum<TlsRole>(), Gen.Int[0, 2], AnyAddress, Gen.OneOf(Gen.Const(0), Gen.Int[0, 65535]), Settings, Text,
        (role, scope, address, port, settings, name) => scope switch
        {
            0 => TlsProfileDefinition.ForDefault(role, settings),
            1 => TlsProfileDefinition.ForAny(role, settings with { ServerName = settings.ServerName ?? name }),
            _ => TlsProfileDefinition.ForAddress(role, address, port, settings),
        });

    /// <summary>Profile lists that satisfy the tls.cfg rules, as a reader would produce them (built-in defaults filled in).</summary>
    public static readonly Gen<TlsProfileDefinition[]> ValidDefinitions = Definition.Array[0, 8].Select(MakeValid);

    private static TlsProfileDefinition[] MakeValid(TlsProfileDefinition[] profiles)
    {
        var result = new List<TlsProfileDefinition>();
        foreach (TlsProfileDefinition profile in profiles)
        {
            TlsProfileDefinition candidate = profile;
            if (profile.Scope == TlsProfileScope.Default && result.Exists(p => p.Role == profile.Role && p.Scope == TlsProfileScope.Default))
            {
                candidate = TlsProfileDefinition.ForAny(profile.Role, profile.Settings with { ServerName = profile.Settings.ServerName ?? "extra.example" });
            }

            if (!TlsProfileRules.Check([.. result, candidate]).Any())
            {
                result.Add(candidate.WithBuiltInDefaults(CfgTestSupport.MainDirectory));
            }
        }

        return [.. result];
    }

    // Selection: small pools so that addresses, ports and names collide often.
    private static readonly IPAddress[] AddressPool = [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"), IPAddress.Parse("2001:db8::1")];

    private static readonly string[] NamePool = ["a.example", "b.example", "example", "x.a.example"];

    public static readonly Gen<TlsProfileDefinition> SelectionDefinition = Gen.Select(
        Gen.Enum<TlsRole>(), Gen.Int[0, 4], Gen.OneOf(AddressPool), Gen.OneOf(0, 5060, 5061), Gen.OneOf(NamePool).Null(0.4), Gen.Enum<ServerNameMode>(),
        Gen.OneOf("id1", "id2", "ID1").Null(0.6),
        (role, scope, address, port, name, mode, id) =>
        {
            var settings = new TlsProfileSettings { ServerName = name, ServerNameMode = mode, ServerId = id };
            return scope switch
            {
                0 => TlsProfileDefinition.ForDefault(role, settings),
                1 => TlsProfileDefinition.ForAny(role, settings with { ServerName = name ?? "any.example" }),
                _ => TlsProfileDefinition.ForAddress(role, address, port, settings),
            };
        });

    public static readonly Gen<TlsProfileDefinition[]> SelectionDefinitions = SelectionDefinition.Array[0, 10].Select(MakeValid);

    public static readonly Gen<IPEndPoint> EndPoint = Gen.Select(
        Gen.OneOf([.. AddressPool, IPAddress.Parse("10.0.0.3"), IPAddress.Parse("::ffff:10.0.0.1")]),
        Gen.OneOf(5060, 5061, 5062),
        (address, port) => new IPEndPoint(address, port));

    public static readonly Gen<string?> SniName = Gen.OneOf("a.example", "A.Example", "x.a.example", "y.x.a.example", "b.example", "example", "other.example", "", null);

    public static readonly Gen<string?> ServerId = Gen.OneOf("id1", "id2", "ID1", "id3", "", null);
}
