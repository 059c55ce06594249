using System.Globalization;
using System.Text;
using OpenSslTls.Profiles;

namespace OpenSslTls.Configuration;

/// <summary>
/// Prints profiles as tls.cfg text that <see cref="TlsConfigReader"/> reads back to the same definitions (file names
/// are written as they are, so absolute ones round-trip exactly). Fields at their <see cref="TlsProfileSettings"/>
/// default are left out; values are written bare when the grammar allows and quoted with escapes otherwise.
/// </summary>
public static class TlsConfigWriter
{
    /// <summary>The tls.cfg text of <paramref name="profiles"/>, in order.</summary>
    public static string Write(IEnumerable<TlsProfileDefinition> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var text = new StringBuilder();
        var defaults = new TlsProfileSettings();
        foreach (TlsProfileDefinition profile in profiles)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            TlsProfileSettings settings = profile.Settings;
            text.Append(TlsProfileRules.Header(profile)).Append('\n');
            Key(text, "method", settings.Method == defaults.Method ? null : TlsMethodNames.ToName(settings.Method));
            Key(text, "verify_certificate", settings.VerifyCertificate ? "yes" : null);
            Key(text, "require_certificate", settings.RequireCertificate ? "yes" : null);
            Key(text, "verify_hostname", settings.VerifyHostname ? null : "no");
            Key(text, "verify_client", settings.VerifyClient == defaults.VerifyClient ? null : ConfigValues.VerifyClientName(settings.VerifyClient));
            Key(text, "verify_depth", settings.VerifyDepth == defaults.VerifyDepth ? null : settings.VerifyDepth.ToString(CultureInfo.InvariantCulture));
            Key(text, "certificate", settings.Certificate);
            Key(text, "private_key", settings.PrivateKey);
            Key(text, "private_key_password", settings.PrivateKeyPassword);
            Key(text, "ca_list", settings.CaList);
            Key(text, "ca_path", settings.CaPath);
            Key(text, "crl", settings.Crl);
            Key(text, "cipher_list", settings.CipherList);
            Key(text, "cipher_suites", settings.CipherSuites);
            Key(text, "groups", settings.Groups);
            Key(text, "server_name", settings.ServerName);
            Key(text, "server_name_mode", settings.ServerNameMode == defaults.ServerNameMode ? null : ((int)settings.ServerNameMode).ToString(CultureInfo.InvariantCulture));
            Key(text, "server_id", settings.ServerId);
            Key(text, "certificate2", settings.Certificate2);
            Key(text, "private_key2", settings.PrivateKey2);
            Key(text, "private_key_password2", settings.PrivateKeyPassword2);
        }

        return text.ToString();
    }

    /// <summary><paramref name="value"/> as a tls.cfg value: bare when every character may stand unquoted, else quoted.</summary>
    public static string FormatValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || TlsCfgParser.Delimiters.Contains(c, StringComparison.Ordinal)))
        {
            return value;
        }

        return ConfigValues.Quote(value);
    }

    private static void Key(StringBuilder text, string name, string? value)
    {
        if (value is not null)
        {
            text.Append(name).Append(" = ").Append(FormatValue(value)).Append('\n');
        }
    }
}
