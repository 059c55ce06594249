namespace OpenSslTls.Profiles;

/// <summary>
/// Kamailio's <c>tls_method</c> / profile <c>method</c> values. Exact values pin one protocol version; the
/// <c>…Plus</c> values set a minimum and no maximum. <see cref="SSLv23"/> leaves OpenSSL's own range.
/// </summary>
public enum TlsMethod
{
    /// <summary><c>SSLv23</c>: OpenSSL's default range (on OpenSSL 3: TLS 1.2 and 1.3 at the default security level).</summary>
    SSLv23,

    /// <summary><c>SSLv2</c>: not supported by any OpenSSL 3; building a profile with it fails.</summary>
    SSLv2,

    /// <summary><c>SSLv3</c>: only where libssl still has SSLv3 (not Debian's OpenSSL 3); otherwise building fails.</summary>
    SSLv3,

    /// <summary><c>TLSv1</c> / <c>TLSv1.0</c>: TLS 1.0 only (Kamailio's modparam default; needs <c>@SECLEVEL=0</c> on OpenSSL 3).</summary>
    TLSv1,

    /// <summary><c>TLSv1.1</c>: TLS 1.1 only (needs <c>@SECLEVEL=0</c> on OpenSSL 3).</summary>
    TLSv1_1,

    /// <summary><c>TLSv1.2</c>: TLS 1.2 only.</summary>
    TLSv1_2,

    /// <summary><c>TLSv1.3</c>: TLS 1.3 only; <c>cipher_list</c> then names TLS 1.3 suites.</summary>
    TLSv1_3,

    /// <summary><c>TLSv1+</c> / <c>TLSv1.0+</c>: TLS 1.0 or newer (Kamailio's tls.cfg default).</summary>
    TLSv1Plus,

    /// <summary><c>TLSv1.1+</c>: TLS 1.1 or newer.</summary>
    TLSv1_1Plus,

    /// <summary><c>TLSv1.2+</c>: TLS 1.2 or newer. OpenSslTls's default.</summary>
    TLSv1_2Plus,

    /// <summary><c>TLSv1.3+</c>: TLS 1.3 or newer; <c>cipher_list</c> then names TLS 1.3 suites.</summary>
    TLSv1_3Plus,
}
