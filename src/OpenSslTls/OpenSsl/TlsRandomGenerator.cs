namespace OpenSslTls.OpenSsl;

/// <summary>
/// The random generator <c>rand_engine</c> selects: OpenSSL's default DRBG (<c>cryptorand</c>, <c>kxlibssl</c> or
/// unset), or one of OpenSSL's DRBGs chosen by name (<c>CTR-DRBG</c>, <c>HASH-DRBG</c>, <c>HMAC-DRBG</c>).
/// <see cref="OpenSslRandom.Current"/> is the one in effect; its <see cref="ToString"/> is what the options view shows.
/// </summary>
public sealed class TlsRandomGenerator
{
    internal TlsRandomGenerator(string? setting, string? drbg, string? cipher, string? digest)
    {
        Setting = setting;
        Drbg = drbg;
        Cipher = cipher;
        Digest = digest;
    }

    /// <summary>The <c>rand_engine</c> value as configured, or <see langword="null"/> when unset.</summary>
    public string? Setting { get; }

    /// <summary>The OpenSSL DRBG selected (<c>CTR-DRBG</c>, <c>HASH-DRBG</c> or <c>HMAC-DRBG</c>), or <see langword="null"/> for OpenSSL's default.</summary>
    public string? Drbg { get; }

    /// <summary>The DRBG's cipher (<c>AES-256-CTR</c> for <c>CTR-DRBG</c>), or <see langword="null"/>.</summary>
    public string? Cipher { get; }

    /// <summary>The DRBG's digest (<c>SHA256</c> for <c>HASH-DRBG</c> and <c>HMAC-DRBG</c>), or <see langword="null"/>.</summary>
    public string? Digest { get; }

    /// <summary>Whether OpenSSL's default generator is used unchanged (thread-safe in OpenSSL 3: a CTR-DRBG with AES-256 unless openssl.cnf says otherwise).</summary>
    public bool IsOpenSslDefault => Drbg is null;

    /// <summary>For example <c>OpenSSL default DRBG (rand_engine=cryptorand)</c> or <c>HASH-DRBG (SHA256)</c>.</summary>
    public override string ToString()
    {
        if (Drbg is null)
        {
            return Setting is null ? "OpenSSL default DRBG" : $"OpenSSL default DRBG (rand_engine={Setting})";
        }

        return $"{Drbg} ({Cipher ?? Digest})";
    }
}
