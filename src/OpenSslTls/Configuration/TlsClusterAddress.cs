using System.Globalization;

namespace OpenSslTls.Configuration;

/// <summary>
/// The one reader of cluster addresses (<c>cluster_address</c>, serve's <c>--cluster</c>, the cluster section's
/// <c>Address</c>): <c>redis://HOST:PORT</c> or <c>HOST:PORT</c>, with no user, password, path or option list, so
/// every place that takes one accepts and refuses the same text.
/// </summary>
public static class TlsClusterAddress
{
    /// <summary>The form an address takes, as error messages name it.</summary>
    public const string Expected = "redis://HOST:PORT";

    /// <summary>
    /// The <c>HOST:PORT</c> of <paramref name="text"/> (the form StackExchange.Redis takes), or null when it is no
    /// such address: no port or one outside 1..65535, a user or password (<c>@</c>), a path (<c>/</c>) or several
    /// servers or options (<c>,</c>).
    /// </summary>
    public static string? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        string address = text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) ? text["redis://".Length..].TrimEnd('/') : text;
        int colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535
            && !address.Contains('/', StringComparison.Ordinal) && !address.Contains('@', StringComparison.Ordinal)
            && !address.Contains(',', StringComparison.Ordinal)
            ? address
            : null;
    }
}
