using System.Net;

namespace OpenSslTls.Profiles;

/// <summary>
/// What Kamailio's <c>xavp_cfg</c> attributes carry for one outgoing connection: the SNI to send
/// (<c>$xavp(tls=&gt;server_name)</c>) and the server_id that picks the <c>[client:…]</c> profile
/// (<c>$xavp(tls=&gt;server_id)</c>). Kamailio reads them from the script when the connection is created; here the
/// caller passes them to <c>TlsModule.OpenConnection</c> or <c>TlsProfileSet.CreateClientConnection</c>. Both are
/// checked when set: an <see cref="ArgumentException"/> names the attribute, the value and what is wrong with it.
/// </summary>
public sealed record TlsClientOverride
{
    /// <summary>The longest host name SNI carries (RFC 6066 §3; OpenSSL's <c>TLSEXT_MAXLEN_host_name</c>).</summary>
    public const int MaxServerNameLength = 255;

    private readonly string? _serverName;
    private readonly string? _serverId;

    /// <summary>No override: the profile by address (and the profile's own server_name as SNI, if any).</summary>
    public static TlsClientOverride None { get; } = new();

    /// <summary>
    /// The SNI to send, also matched against the profiles' server_name when no server_id chooses one. A DNS host name
    /// (ASCII letters, digits, hyphens and underscores in dot-separated labels of at most 63 characters, at most 255 in
    /// all, no trailing dot): not an IP address, which RFC 6066 forbids in SNI. Null or empty: none.
    /// </summary>
    public string? ServerName
    {
        get => _serverName;
        init => _serverName = string.IsNullOrEmpty(value) ? null : ServerNameProblem(value) is { } problem
            ? throw new ArgumentException($"server_name '{value}': {problem}", nameof(ServerName))
            : value;
    }

    /// <summary>
    /// The server_id of the <c>[client:…]</c> profile to use (Kamailio: "the recommended way for selecting a specific
    /// TLS client config profile"). Any text without control characters. Null or empty: none. A value no profile has
    /// falls back to the address match, as in Kamailio.
    /// </summary>
    public string? ServerId
    {
        get => _serverId;
        init => _serverId = string.IsNullOrEmpty(value) ? null : value.Any(char.IsControl)
            ? throw new ArgumentException($"server_id '{value.ReplaceLineEndings(" ")}': control characters are not allowed", nameof(ServerId))
            : value;
    }

    /// <summary>Why <paramref name="name"/> cannot be sent as SNI, or null when it can.</summary>
    public static string? ServerNameProblem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (IPAddress.TryParse(name.Trim('[', ']'), out _))
        {
            return "an IP address is not a valid SNI host name (RFC 6066 §3); leave the server name unset for an address";
        }

        if (name.Length > MaxServerNameLength)
        {
            return $"a host name has at most {MaxServerNameLength} characters";
        }

        if (name.EndsWith('.'))
        {
            return "SNI carries the name without its trailing dot (RFC 6066 §3)";
        }

        foreach (string label in name.Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                return "every dot-separated label needs 1 to 63 characters";
            }

            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                {
                    return char.IsAscii(c) && !char.IsControl(c)
                        ? $"'{c}' is not allowed in a host name (letters, digits, '-' and '_')"
                        : "only ASCII is allowed (write an internationalised name in its xn-- form)";
                }
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"label '{label}' starts or ends with '-'";
            }
        }

        return null;
    }
}
