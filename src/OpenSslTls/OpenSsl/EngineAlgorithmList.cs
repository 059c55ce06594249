using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;
using OpenSslTls.Interop;

namespace OpenSslTls.OpenSsl;

/// <summary>
/// Parses <c>engine_algorithms</c> before anything is loaded, so a bad name is reported by itself (OpenSSL's
/// <c>ENGINE_set_default_string</c> only says "invalid string"). Names as OpenSSL's <c>ENGINE_set_default_string</c>.
/// </summary>
internal static class EngineAlgorithmList
{
    /// <summary>The names <c>engine_algorithms</c> accepts in a list, in OpenSSL's order.</summary>
    internal static readonly IReadOnlyList<string> Names =
        ["ALL", "RSA", "DSA", "DH", "EC", "RAND", "CIPHERS", "DIGESTS", "PKEY", "PKEY_CRYPTO", "PKEY_ASN1"];

    /// <summary>
    /// Returns the <c>ENGINE_METHOD_*</c> flags and the canonical text (upper case, no spaces) for
    /// <paramref name="text"/>; <c>NONE</c> (or empty) gives 0 and <c>NONE</c>.
    /// </summary>
    internal static (uint Flags, string Canonical) Parse(string? text)
    {
        if (TlsEngineOptions.IsNone(text))
        {
            return (Crypto.ENGINE_METHOD_NONE, TlsEngineOptions.None);
        }

        uint flags = 0;
        var names = new List<string>();
        foreach (string raw in text!.Split(','))
        {
            string name = raw.Trim().ToUpperInvariant();
            uint flag = name switch
            {
                "ALL" => Crypto.ENGINE_METHOD_ALL,
                "RSA" => Crypto.ENGINE_METHOD_RSA,
                "DSA" => Crypto.ENGINE_METHOD_DSA,
                "DH" => Crypto.ENGINE_METHOD_DH,
                "EC" => Crypto.ENGINE_METHOD_EC,
                "RAND" => Crypto.ENGINE_METHOD_RAND,
                "CIPHERS" => Crypto.ENGINE_METHOD_CIPHERS,
                "DIGESTS" => Crypto.ENGINE_METHOD_DIGESTS,
                "PKEY" => Crypto.ENGINE_METHOD_PKEY_METHS | Crypto.ENGINE_METHOD_PKEY_ASN1_METHS,
                "PKEY_CRYPTO" => Crypto.ENGINE_METHOD_PKEY_METHS,
                "PKEY_ASN1" => Crypto.ENGINE_METHOD_PKEY_ASN1_METHS,
                _ => throw new TlsEngineException("engine_algorithms", Unknown(text, raw.Trim())),
            };
            flags |= flag;
            names.Add(name);
        }

        return (flags, string.Join(',', names));
    }

    private static string Unknown(string text, string name) => name.Length == 0
        ? $"'{text}' has an empty entry; use ALL, NONE or a comma list of {string.Join(' ', Names.Skip(1))}"
        : $"'{name}' (in '{text}') is not an algorithm class; use ALL, NONE or a comma list of {string.Join(' ', Names.Skip(1))}";
}
