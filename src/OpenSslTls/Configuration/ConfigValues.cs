using System.Text;
using System.Net;
using OpenSslTls.Profiles;

namespace OpenSslTls.Configuration;

/// <summary>Value spellings shared by tls.cfg, modparam lines and configuration keys.</summary>
internal static class ConfigValues
{
    private static readonly Dictionary<string, VerifyClientMode> VerifyClientByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["off"] = VerifyClientMode.Off,
        ["on"] = VerifyClientMode.On,
        ["optional"] = VerifyClientMode.Optional,
        ["optional_no_ca"] = VerifyClientMode.OptionalNoCa,
    };


    /// <summary>Kamailio's cfg_parser booleans (case-insensitive).</summary>
    internal static bool TryParseBoolean(string text, out bool value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "YES" or "TRUE" or "ENABLE" or "ENABLED" or "1" or "ON":
                value = true;
                return true;
            case "NO" or "FALSE" or "DISABLE" or "DISABLED" or "0" or "OFF":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    internal static bool TryParseVerifyClient(string text, out VerifyClientMode mode) =>
        VerifyClientByName.TryGetValue(text.Trim(), out mode);

    internal static string VerifyClientName(VerifyClientMode mode) => mode switch
    {
        VerifyClientMode.Off => "off",
        VerifyClientMode.On => "on",
        VerifyClientMode.Optional => "optional",
        VerifyClientMode.OptionalNoCa => "optional_no_ca",
        _ => mode.ToString(),
    };

    internal static string VerifyClientNames => string.Join(", ", VerifyClientByName.Keys);

    internal static string MethodNames => string.Join(", ", TlsMethodNames.AcceptedNames);

    internal static string MethodName(TlsMethod method) =>
        Enum.IsDefined(method) ? TlsMethodNames.ToName(method) : method.ToString();

    /// <summary>Kamailio's <c>keylog_peer</c> form: <c>udp:ip:port</c> (IPv6 in brackets), port 1..65535.</summary>
    internal static bool IsKeylogPeer(string text) =>
        text.StartsWith("udp:", StringComparison.OrdinalIgnoreCase)
        && IPEndPoint.TryParse(text.AsSpan(4), out IPEndPoint? endPoint)
        && endPoint.Port != 0
        && (endPoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || text.AsSpan(4).StartsWith("["));

    /// <summary>A double-quoted string with the escapes both the tls.cfg and the modparam grammars read back.</summary>
    internal static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (char c in value)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }
}
