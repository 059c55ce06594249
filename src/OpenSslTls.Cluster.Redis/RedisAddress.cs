using System.Globalization;

namespace OpenSslTls.Cluster.Redis;

/// <summary>A cluster address, <c>redis://HOST:PORT</c> or <c>HOST:PORT</c>, as StackExchange.Redis configuration.</summary>
internal static class RedisAddress
{
    /// <summary>The <c>HOST:PORT</c> of <paramref name="text"/>, or null when it is no such address (no user, path or options).</summary>
    public static string? Parse(string text)
    {
        string address = text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) ? text["redis://".Length..].TrimEnd('/') : text;
        int colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535
            && !address.Contains('/', StringComparison.Ordinal) && !address.Contains('@', StringComparison.Ordinal)
            && !address.Contains(',', StringComparison.Ordinal)
            ? address
            : null;
    }
}
