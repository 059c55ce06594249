using System.Diagnostics.CodeAnalysis;

namespace OpenSslTls.Profiles;

/// <summary>Converts between Kamailio's method spellings and <see cref="TlsMethod"/>.</summary>
public static class TlsMethodNames
{
    private static readonly Dictionary<string, TlsMethod> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SSLv23"] = TlsMethod.SSLv23,
        ["SSLv2"] = TlsMethod.SSLv2,
        ["SSLv3"] = TlsMethod.SSLv3,
        ["TLSv1"] = TlsMethod.TLSv1,
        ["TLSv1.0"] = TlsMethod.TLSv1,
        ["TLSv1.1"] = TlsMethod.TLSv1_1,
        ["TLSv1.2"] = TlsMethod.TLSv1_2,
        ["TLSv1.3"] = TlsMethod.TLSv1_3,
        ["TLSv1+"] = TlsMethod.TLSv1Plus,
        ["TLSv1.0+"] = TlsMethod.TLSv1Plus,
        ["TLSv1.1+"] = TlsMethod.TLSv1_1Plus,
        ["TLSv1.2+"] = TlsMethod.TLSv1_2Plus,
        ["TLSv1.3+"] = TlsMethod.TLSv1_3Plus,
    };

    /// <summary>Every accepted spelling, for error messages and documentation.</summary>
    public static IReadOnlyCollection<string> AcceptedNames => ByName.Keys;

    /// <summary>Parses a method name case-insensitively (<c>TLSv1.2+</c>, <c>sslv23</c>, …).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out TlsMethod? method)
    {
        method = null;
        if (text is not null && ByName.TryGetValue(text.Trim(), out TlsMethod value))
        {
            method = value;
        }

        return method is not null;
    }

    /// <summary>Parses a method name or throws <see cref="FormatException"/> naming the value and the accepted ones.</summary>
    public static TlsMethod Parse(string text) => TryParse(text, out TlsMethod? method)
        ? method.Value
        : throw new FormatException($"invalid TLS method '{text}': expected one of {string.Join(", ", ByName.Keys)}");

    /// <summary>The canonical Kamailio spelling (<c>TLSv1.2+</c>).</summary>
    public static string ToName(TlsMethod method) => method switch
    {
        TlsMethod.SSLv23 => "SSLv23",
        TlsMethod.SSLv2 => "SSLv2",
        TlsMethod.SSLv3 => "SSLv3",
        TlsMethod.TLSv1 => "TLSv1",
        TlsMethod.TLSv1_1 => "TLSv1.1",
        TlsMethod.TLSv1_2 => "TLSv1.2",
        TlsMethod.TLSv1_3 => "TLSv1.3",
        TlsMethod.TLSv1Plus => "TLSv1+",
        TlsMethod.TLSv1_1Plus => "TLSv1.1+",
        TlsMethod.TLSv1_2Plus => "TLSv1.2+",
        TlsMethod.TLSv1_3Plus => "TLSv1.3+",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    /// <summary>Whether the method is TLS 1.3-only, so <c>cipher_list</c> is applied as TLS 1.3 suites (Kamailio's rule).</summary>
    public static bool IsTls13Only(TlsMethod method) => method is TlsMethod.TLSv1_3 or TlsMethod.TLSv1_3Plus;
}
