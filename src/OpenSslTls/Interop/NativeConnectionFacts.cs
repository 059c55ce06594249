namespace OpenSslTls.Interop;

/// <summary>
/// The facts of an established <c>SSL</c> as OpenSSL reports them (<see cref="ConnectionInfoReader.Read"/>); the
/// public connection record is built from them one layer up.
/// </summary>
internal sealed record NativeConnectionFacts(
    string Protocol,
    string CipherName,
    int CipherBits,
    string CipherDescription,
    string? ServerName,
    bool SessionReused,
    long VerifyResult,
    string VerifyResultText,
    NativeCertificateFacts? PeerCertificate,
    NativeCertificateFacts? LocalCertificate,
    IReadOnlyList<string> VerifiedChain)
{
    /// <summary>The negotiated key exchange group (<c>SSL_get_negotiated_group</c>), or null when none was used.</summary>
    public string? Group { get; init; }

    /// <summary>The cipher suite's IANA number (<c>SSL_CIPHER_get_protocol_id</c>), or null when no cipher is in use.</summary>
    public ushort? CipherSuiteId { get; init; }

    /// <summary>The protocol ALPN negotiated (<c>SSL_get0_alpn_selected</c>), or null when none was.</summary>
    public byte[]? ApplicationProtocol { get; init; }
}

/// <summary>One certificate's fields as OpenSSL prints them (validity as <c>ASN1_TIME_print</c> text).</summary>
internal sealed record NativeCertificateFacts(
    NativeNameFacts Subject,
    NativeNameFacts Issuer,
    string SerialNumber,
    int Version,
    string NotBeforeText,
    string NotAfterText,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<string> Uris,
    IReadOnlyList<string> Emails,
    IReadOnlyList<string> IpAddresses,
    IReadOnlyList<string> OtherAlternativeNames,
    string Pem);

/// <summary>A subject or issuer: OpenSSL's one-line form and the components read by NID.</summary>
internal sealed record NativeNameFacts(
    string Line,
    string? CommonName,
    string? Locality,
    string? Country,
    string? State,
    string? Organization,
    string? OrganizationalUnit,
    string? UserId);
