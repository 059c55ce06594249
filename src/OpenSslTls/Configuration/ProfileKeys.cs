using OpenSslTls.Profiles;

namespace OpenSslTls.Configuration;

/// <summary>How a tls.cfg key's value is read and checked.</summary>
internal enum ProfileKeyType
{
    /// <summary>Any string (bare or quoted); empty means unset.</summary>
    Text,

    /// <summary>A file name, resolved by Kamailio's rule; empty means unset.</summary>
    Path,

    /// <summary>A decimal integer; negative values must be quoted.</summary>
    Integer,

    /// <summary>yes/true/enable/enabled/1/on or no/false/disable/disabled/0/off.</summary>
    Boolean,

    /// <summary>A <c>tls_method</c> name.</summary>
    Method,

    /// <summary>A <c>verify_client</c> name.</summary>
    VerifyClient,
}

/// <summary>One tls.cfg key (spec §3.3) with its aliases folded into one canonical name, and how it sets the profile's field.</summary>
internal sealed class ProfileKey
{
    private readonly Func<TlsProfileSettings, object?, TlsProfileSettings> _set;
    private readonly Func<int, string?>? _checkInteger;

    internal ProfileKey(string name, ProfileKeyType type, Func<TlsProfileSettings, object?, TlsProfileSettings> set, Func<int, string?>? checkInteger = null)
    {
        Name = name;
        Type = type;
        _set = set;
        _checkInteger = checkInteger;
    }

    /// <summary>The canonical key, e.g. <c>certificate</c> for <c>cert_file</c> too.</summary>
    internal string Name { get; }

    internal ProfileKeyType Type { get; }

    /// <summary>A password: its value is never put in an error message.</summary>
    internal bool IsSecret => Name is "private_key_password" or "private_key_password2";

    /// <summary>Converts <paramref name="text"/>, checks it and sets the section's field; returns the problem instead when invalid.</summary>
    internal string? Apply(TlsCfgParser.Section section, string text, string? mainConfigDirectory)
    {
        object? value;
        switch (Type)
        {
            case ProfileKeyType.Text:
                value = text.Length == 0 ? null : text;
                break;
            case ProfileKeyType.Path:
                value = text.Length == 0 ? null : KamailioPath.Resolve(text, mainConfigDirectory);
                break;
            case ProfileKeyType.Integer:
                if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int number))
                {
                    return $"Invalid integer value '{text}' for '{Name}'";
                }

                if (_checkInteger?.Invoke(number) is { } problem)
                {
                    return problem;
                }

                value = number;
                break;
            case ProfileKeyType.Boolean:
                if (!ConfigValues.TryParseBoolean(text, out bool flag) || text.Trim().Length != text.Length)
                {
                    return $"Invalid boolean value '{text}' for '{Name}': expected yes, no, true, false, on, off, enable(d), disable(d), 1 or 0";
                }

                value = flag;
                break;
            case ProfileKeyType.Method:
                if (!TlsMethodNames.TryParse(text, out TlsMethod? method) || text.Trim().Length != text.Length)
                {
                    return $"Invalid TLS method '{text}': expected one of {ConfigValues.MethodNames}";
                }

                value = method.Value;
                break;
            default:
                if (!ConfigValues.TryParseVerifyClient(text, out VerifyClientMode mode) || text.Trim().Length != text.Length)
                {
                    return $"Invalid verify_client value '{text}': expected one of {ConfigValues.VerifyClientNames}";
                }

                value = mode;
                break;
        }

        // Repeating a key in one section: the last value wins (as Kamailio).
        section.Settings = _set(section.Settings, value);
        return null;
    }
}

/// <summary>The keys of a tls.cfg section (spec §3.3), case-insensitive, with Kamailio's aliases and our <c>cipher_suites</c>.</summary>
internal static class ProfileKeys
{
    private static readonly Dictionary<string, ProfileKey> ByName = Build();

    internal static bool TryGet(string name, out ProfileKey key) => ByName.TryGetValue(name, out key!);

    private static Dictionary<string, ProfileKey> Build()
    {
        var keys = new Dictionary<string, ProfileKey>(StringComparer.OrdinalIgnoreCase);
        void Add(ProfileKey key, params string[] aliases)
        {
            keys.Add(key.Name, key);
            foreach (string alias in aliases)
            {
                keys.Add(alias, key);
            }
        }

        Add(new ProfileKey("method", ProfileKeyType.Method, (s, v) => s with { Method = (TlsMethod)v! }), "tls_method");
        Add(new ProfileKey("verify_certificate", ProfileKeyType.Boolean, (s, v) => s with { VerifyCertificate = (bool)v! }), "verify_cert");
        Add(new ProfileKey("verify_depth", ProfileKeyType.Integer, (s, v) => s with { VerifyDepth = (int)v! },
            v => v is >= 0 and <= 100 ? null : $"verify_depth must be 0..100, not {v}"));
        Add(new ProfileKey("require_certificate", ProfileKeyType.Boolean, (s, v) => s with { RequireCertificate = (bool)v! }), "require_cert");
        Add(new ProfileKey("verify_hostname", ProfileKeyType.Boolean, (s, v) => s with { VerifyHostname = (bool)v! }));
        Add(new ProfileKey("verify_client", ProfileKeyType.VerifyClient, (s, v) => s with { VerifyClient = (VerifyClientMode)v! }));
        Add(new ProfileKey("certificate", ProfileKeyType.Path, (s, v) => s with { Certificate = (string?)v }), "cert_file");
        Add(new ProfileKey("private_key", ProfileKeyType.Path, (s, v) => s with { PrivateKey = (string?)v }), "pkey_file");
        Add(new ProfileKey("private_key_password", ProfileKeyType.Text, (s, v) => s with { PrivateKeyPassword = (string?)v }), "pkey_password");
        Add(new ProfileKey("ca_list", ProfileKeyType.Path, (s, v) => s with { CaList = (string?)v }), "calist_file");
        Add(new ProfileKey("ca_path", ProfileKeyType.Path, (s, v) => s with { CaPath = (string?)v }));
        Add(new ProfileKey("crl", ProfileKeyType.Path, (s, v) => s with { Crl = (string?)v }));
        Add(new ProfileKey("cipher_list", ProfileKeyType.Text, (s, v) => s with { CipherList = (string?)v }));
        Add(new ProfileKey("cipher_suites", ProfileKeyType.Text, (s, v) => s with { CipherSuites = (string?)v }));
        Add(new ProfileKey("groups", ProfileKeyType.Text, (s, v) => s with { Groups = (string?)v }));
        Add(new ProfileKey("server_name", ProfileKeyType.Text, (s, v) => s with { ServerName = (string?)v }));
        // As Kamailio's documentation says: 1 and 2 are the subdomain modes, 0 or anything else matches the name exactly.
        Add(new ProfileKey("server_name_mode", ProfileKeyType.Integer, (s, v) => s with { ServerNameMode = (int)v! is 1 or 2 ? (ServerNameMode)(int)v! : ServerNameMode.Exact }));
        Add(new ProfileKey("server_id", ProfileKeyType.Text, (s, v) => s with { ServerId = (string?)v }));
        Add(new ProfileKey("certificate2", ProfileKeyType.Path, (s, v) => s with { Certificate2 = (string?)v }), "cert_file2");
        Add(new ProfileKey("private_key2", ProfileKeyType.Path, (s, v) => s with { PrivateKey2 = (string?)v }), "pkey_file2");
        Add(new ProfileKey("private_key_password2", ProfileKeyType.Text, (s, v) => s with { PrivateKeyPassword2 = (string?)v }), "pkey_password2");
        return keys;
    }
}
