using OpenSslTls.Certificates;
using OpenSslTls.Interop;

namespace OpenSslTls.Profiles;

/// <summary>
/// One Kamailio TLS "domain" (a <c>[server:…]</c> or <c>[client:…]</c> section): what its <c>SSL_CTX</c> is built
/// from. Property names follow the tls.cfg keys; paths are used as given (configuration readers resolve them).
/// </summary>
public sealed record TlsProfileSettings
{
    /// <summary>Default verification depth (Kamailio's <c>verify_depth</c> default).</summary>
    public const int DefaultVerifyDepth = 9;

    /// <summary><c>method</c>: allowed protocol versions. Default <see cref="TlsMethod.TLSv1_2Plus"/> (Kamailio: TLSv1; see README).</summary>
    public TlsMethod Method { get; init; } = TlsMethod.TLSv1_2Plus;

    /// <summary>
    /// <c>certificate</c>: the certificate file, recognised by content: PEM (the certificate followed by its chain), DER
    /// (one certificate) or PKCS#12 (<c>.p12</c>/<c>.pfx</c>: certificate, chain and key, decrypted with
    /// <see cref="PrivateKeyPassword"/>; <see cref="PrivateKey"/> may then be left unset or name the same file).
    /// </summary>
    public string? Certificate { get; init; }

    /// <summary>
    /// <c>private_key</c>: the key of <see cref="Certificate"/>: a PEM or DER file (PKCS#8, encrypted PKCS#8, PKCS#1,
    /// SEC1; recognised by content), a PKCS#12 bundle's key, <c>/engine:&lt;key id&gt;</c> or <c>/uri:&lt;store URI&gt;</c>.
    /// </summary>
    public string? PrivateKey { get; init; }

    /// <summary><c>private_key_password</c>: password of an encrypted <see cref="PrivateKey"/>.</summary>
    public string? PrivateKeyPassword { get; init; }

    /// <summary><c>certificate2</c>: a second certificate of another key type (e.g. ECDSA beside RSA).</summary>
    public string? Certificate2 { get; init; }

    /// <summary><c>private_key2</c>: the key of <see cref="Certificate2"/>.</summary>
    public string? PrivateKey2 { get; init; }

    /// <summary><c>private_key_password2</c>: password of an encrypted <see cref="PrivateKey2"/>.</summary>
    public string? PrivateKeyPassword2 { get; init; }

    /// <summary>
    /// The certificate, its chain and usually its key from somewhere other than the <see cref="Certificate"/> path:
    /// PEM or DER bytes, a PKCS#12 bundle, an <see cref="System.Security.Cryptography.X509Certificates.X509Certificate2"/> with its key, or
    /// files (see <see cref="TlsCertificateSource"/>). Not a tls.cfg key; set either this or <see cref="Certificate"/>.
    /// A key the source carries is used unless <see cref="PrivateKey"/> is set, which then wins (and must match).
    /// </summary>
    public TlsCertificateSource? CertificateSource { get; init; }

    /// <summary>Like <see cref="CertificateSource"/>, for the second certificate (instead of <see cref="Certificate2"/>).</summary>
    public TlsCertificateSource? Certificate2Source { get; init; }

    /// <summary>
    /// Trusted CA certificates from bytes, an <see cref="System.Security.Cryptography.X509Certificates.X509Certificate2Collection"/>,
    /// a file or a directory (see <see cref="TlsCertificateAuthorities"/>), in addition to <see cref="CaList"/> and
    /// <see cref="CaPath"/>. Not a tls.cfg key.
    /// </summary>
    public TlsCertificateAuthorities? CertificateAuthorities { get; init; }

    /// <summary><c>ca_list</c>: PEM bundle of trusted CAs; its subjects are also sent as acceptable client CA names.</summary>
    public string? CaList { get; init; }

    /// <summary><c>ca_path</c>: directory of trusted CAs hashed with <c>openssl rehash</c>.</summary>
    public string? CaPath { get; init; }

    /// <summary><c>crl</c>: PEM file of CRLs. Enables CRL checking of the whole chain: a CRL must exist for every CA.</summary>
    public string? Crl { get; init; }

    /// <summary><c>verify_certificate</c>: verify the peer's certificate when one is presented.</summary>
    public bool VerifyCertificate { get; init; }

    /// <summary><c>require_certificate</c>: the peer must present a certificate (which must verify).</summary>
    public bool RequireCertificate { get; init; }

    /// <summary><c>verify_client</c>: see <see cref="VerifyClientMode"/>.</summary>
    public VerifyClientMode VerifyClient { get; init; } = VerifyClientMode.Off;

    /// <summary>
    /// <c>verify_hostname</c> (an addition; Kamailio has no such check): a client connection that verifies the server's
    /// certificate also checks that it names the server: the connection's server name, else this profile's
    /// <see cref="ServerName"/>, else the IP address a module connection was opened to. Names match as RFC 5922 says
    /// (subjectAltName DNS entries and <c>sip:</c> URIs, the CN only when there are neither; no partial wildcards such
    /// as <c>s*.example.com</c>), IP addresses match IP subjectAltNames. Default on; off restores Kamailio's behaviour.
    /// </summary>
    public bool VerifyHostname { get; init; } = true;

    /// <summary>
    /// Client profiles: called during each handshake with OpenSSL's verdict on the server's certificate (chain, and the
    /// name when <see cref="VerifyHostname"/> applies); returning true accepts the certificate whatever the verdict,
    /// false refuses it, and an exception refuses it (the connection fails with a <c>TlsCallbackException</c>). With a
    /// callback the chain is verified even when <see cref="VerifyCertificate"/> is off, so the callback decides. A
    /// callback given for one connection replaces this one. Not a tls.cfg key.
    /// </summary>
    public TlsCertificateValidationCallback? CertificateValidation { get; init; }

    /// <summary><c>verify_depth</c>: maximum chain depth, 0..100.</summary>
    public int VerifyDepth { get; init; } = DefaultVerifyDepth;

    /// <summary>
    /// <c>cipher_list</c>: OpenSSL cipher string for TLS ≤ 1.2; for TLS 1.3-only methods it is applied as TLS 1.3
    /// suites, like Kamailio. <see langword="null"/> keeps OpenSSL's default.
    /// </summary>
    public string? CipherList { get; init; }

    /// <summary><c>cipher_suites</c> (an addition): TLS 1.3 suites, e.g. <c>TLS_AES_128_GCM_SHA256</c>.</summary>
    public string? CipherSuites { get; init; }

    /// <summary>
    /// <c>groups</c> (an addition): the key exchange groups, colon-separated in preference order, as
    /// <c>SSL_CTX_set1_groups_list</c> takes them (e.g. <c>X25519:P-256</c>, or <c>X25519MLKEM768:X25519</c> on OpenSSL
    /// 3.5+); groups left out are refused. <see langword="null"/> keeps OpenSSL's default.
    /// </summary>
    public string? Groups { get; init; }

    /// <summary>
    /// ALPN (RFC 7301; an addition, not a tls.cfg key): a client profile offers these protocols in this order; a server
    /// profile selects the first of its own, in its order, that the client offers, and refuses a client that offers
    /// ALPN but none of them (the <c>no_application_protocol</c> alert RFC 7301 requires). A client that offers none
    /// is served without. Each protocol is 1..255 bytes. Null or empty: no ALPN. The result is
    /// <c>TlsConnectionInfo.ApplicationProtocol</c>.
    /// </summary>
    public IReadOnlyList<System.Net.Security.SslApplicationProtocol>? ApplicationProtocols { get; init; }

    /// <summary><c>server_name</c>: the SNI name this profile serves (server) or sends (client).</summary>
    public string? ServerName { get; init; }

    /// <summary><c>server_name_mode</c>: how <see cref="ServerName"/> matches.</summary>
    public ServerNameMode ServerNameMode { get; init; } = ServerNameMode.Exact;

    /// <summary><c>server_id</c>: a label that selects this client profile explicitly.</summary>
    public string? ServerId { get; init; }

    /// <summary>
    /// What <see cref="object.ToString"/> prints. The compiler's version would print every property, passwords
    /// included, wherever settings end up in a log line or an exception message: passwords show only whether they are
    /// set, and a PIN inside a key URI (<c>pin-value=</c>) is masked.
    /// </summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        static string? Secret(string? value) => value is null ? null : SecretRedaction.Mask;
        static string? Reference(string? value) => value is null ? null : SecretRedaction.RedactReference(value);

        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"Method = {Method}, Certificate = {Certificate}, PrivateKey = {Reference(PrivateKey)}, PrivateKeyPassword = {Secret(PrivateKeyPassword)}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"Certificate2 = {Certificate2}, PrivateKey2 = {Reference(PrivateKey2)}, PrivateKeyPassword2 = {Secret(PrivateKeyPassword2)}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"CertificateSource = {CertificateSource?.Description}, Certificate2Source = {Certificate2Source?.Description}, CertificateAuthorities = {CertificateAuthorities?.Description}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"CaList = {CaList}, CaPath = {CaPath}, Crl = {Crl}, VerifyCertificate = {VerifyCertificate}, RequireCertificate = {RequireCertificate}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"VerifyHostname = {VerifyHostname}, CertificateValidation = {(CertificateValidation is null ? "none" : "set")}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"VerifyClient = {VerifyClient}, VerifyDepth = {VerifyDepth}, CipherList = {CipherList}, CipherSuites = {CipherSuites}, Groups = {Groups}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"ApplicationProtocols = {(ApplicationProtocols is null ? null : string.Join(",", ApplicationProtocols))}, ");
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"ServerName = {ServerName}, ServerNameMode = {ServerNameMode}, ServerId = {ServerId}");
        return true;
    }
}
