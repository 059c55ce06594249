using OpenSslTls.Certificates;
using OpenSslTls.Interop;

namespace OpenSslTls.Connections;

/// <summary>
/// The TLS facts of an established connection, read once from OpenSSL and then cached: the equivalents of
/// Kamailio's <c>$tls_*</c> variables and <c>@tls</c> selects.
/// </summary>
public sealed record TlsConnectionInfo
{
    /// <summary>OpenSSL's <c>X509_V_OK</c>.</summary>
    public const long VerifyOk = NativeMethods.Crypto.X509_V_OK;

    /// <summary>Negotiated protocol, e.g. <c>TLSv1.3</c> (<c>$tls_version</c>).</summary>
    public required string Protocol { get; init; }

    /// <summary>Negotiated cipher name, e.g. <c>TLS_AES_256_GCM_SHA384</c> (<c>$tls_cipher_info</c>).</summary>
    public required string CipherName { get; init; }

    /// <summary>Secret bits of the cipher (<c>$tls_cipher_bits</c>).</summary>
    public required int CipherBits { get; init; }

    /// <summary><c>SSL_CIPHER_description</c> (<c>$tls_description</c>).</summary>
    public required string CipherDescription { get; init; }

    /// <summary>
    /// The cipher suite by its IANA number (<c>SSL_CIPHER_get_protocol_id</c>), as .NET names them (e.g.
    /// <see cref="System.Net.Security.TlsCipherSuite.TLS_AES_128_GCM_SHA256"/>); null when no cipher is in use.
    /// <see cref="CipherName"/> is OpenSSL's name of the same suite.
    /// </summary>
    public System.Net.Security.TlsCipherSuite? CipherSuite { get; init; }

    /// <summary>
    /// The negotiated key exchange group, e.g. <c>X25519</c>, <c>secp256r1</c> or <c>X25519MLKEM768</c>
    /// (<c>SSL_get_negotiated_group</c>); null when the handshake used none (TLS 1.2 RSA key exchange).
    /// </summary>
    public string? KeyExchangeGroup { get; init; }

    /// <summary>
    /// The application protocol ALPN negotiated (e.g. <c>h2</c>), or null when none was: no side configured
    /// <c>TlsProfileSettings.ApplicationProtocols</c>, or the client offered none (an addition; Kamailio has no ALPN).
    /// </summary>
    public System.Net.Security.SslApplicationProtocol? ApplicationProtocol { get; init; }

    /// <summary>SNI: received (server) or sent (client); null when none (<c>$tls_peer_server_name</c>).</summary>
    public string? ServerName { get; init; }

    /// <summary>Whether this handshake resumed an earlier session.</summary>
    public required bool SessionReused { get; init; }

    /// <summary><c>SSL_get_verify_result</c>: an <c>X509_V_*</c> code, <see cref="VerifyOk"/> when verification passed or did not run.</summary>
    public required long VerifyResult { get; init; }

    /// <summary>OpenSSL's text for <see cref="VerifyResult"/>.</summary>
    public required string VerifyResultText { get; init; }

    /// <summary>The peer's certificate, or null when it sent none.</summary>
    public TlsCertificateInfo? PeerCertificate { get; init; }

    /// <summary>This side's certificate, or null when it used none.</summary>
    public TlsCertificateInfo? LocalCertificate { get; init; }

    /// <summary>The chain OpenSSL verified, leaf first, as PEM (<c>@tls.peer.verified_cert_chain</c>); empty when none.</summary>
    public required IReadOnlyList<string> VerifiedChain { get; init; }

    /// <summary>Peer certificate present and verified (<c>$tls_peer_verified</c>).</summary>
    public bool PeerVerified => PeerCertificate is not null && VerifyResult == VerifyOk;

    /// <summary>Peer certificate present and reported revoked (<c>$tls_peer_revoked</c>).</summary>
    public bool PeerRevoked => PeerCertificate is not null && VerifyResult == NativeMethods.Crypto.X509_V_ERR_CERT_REVOKED;

    /// <summary>Peer certificate present and reported expired (<c>$tls_peer_expired</c>).</summary>
    public bool PeerExpired => PeerCertificate is not null && VerifyResult == NativeMethods.Crypto.X509_V_ERR_CERT_HAS_EXPIRED;

    /// <summary>Peer certificate present and reported self-signed (<c>$tls_peer_selfsigned</c>).</summary>
    public bool PeerSelfSigned => PeerCertificate is not null && VerifyResult == NativeMethods.Crypto.X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;

    /// <summary>The public record of what the interop layer read from an established connection.</summary>
    /// <remarks>
    /// Kept for the connection's lifetime, so what every connection has in common (its own certificate, OpenSSL's
    /// names) is shared (<see cref="SharedConnectionFacts"/>): at a million idle connections each kilobyte is a gigabyte.
    /// </remarks>
    internal static TlsConnectionInfo FromFacts(NativeConnectionFacts facts) => new()
    {
        Protocol = SharedConnectionFacts.Name(facts.Protocol),
        CipherName = SharedConnectionFacts.Name(facts.CipherName),
        CipherBits = facts.CipherBits,
        CipherDescription = SharedConnectionFacts.Name(facts.CipherDescription),
        CipherSuite = facts.CipherSuiteId is { } suite ? (System.Net.Security.TlsCipherSuite)suite : null,
        KeyExchangeGroup = facts.Group is { } group ? SharedConnectionFacts.Name(group) : null,
        ApplicationProtocol = facts.ApplicationProtocol is { } protocol ? new System.Net.Security.SslApplicationProtocol(protocol) : null,
        ServerName = facts.ServerName,
        SessionReused = facts.SessionReused,
        VerifyResult = facts.VerifyResult,
        VerifyResultText = SharedConnectionFacts.Name(facts.VerifyResultText),
        PeerCertificate = facts.PeerCertificate is { } peer ? TlsCertificateInfo.FromFacts(peer) : null,
        LocalCertificate = facts.LocalCertificate is { } local ? SharedConnectionFacts.Certificate(local) : null,
        VerifiedChain = facts.VerifiedChain.Count == 0 ? [] : facts.VerifiedChain,
    };
}
