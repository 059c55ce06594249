using System.Globalization;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Certificates;

/// <summary>What a connection knows about one certificate (the peer's or its own): Kamailio's <c>$tls_peer_*</c>/<c>$tls_my_*</c>.</summary>
public sealed record TlsCertificateInfo
{
    /// <summary>The subject.</summary>
    public required TlsDistinguishedName Subject { get; init; }

    /// <summary>The issuer.</summary>
    public required TlsDistinguishedName Issuer { get; init; }

    /// <summary>The serial number in decimal.</summary>
    public required string SerialNumber { get; init; }

    /// <summary><c>X509_get_version</c>: 0-based, so a v3 certificate reports 2 (as Kamailio prints it).</summary>
    public required int Version { get; init; }

    /// <summary>Start of validity.</summary>
    public required DateTimeOffset NotBefore { get; init; }

    /// <summary>End of validity.</summary>
    public required DateTimeOffset NotAfter { get; init; }

    /// <summary>Start of validity as <c>ASN1_TIME_print</c> writes it (<c>Mon DD hh:mm:ss YYYY GMT</c>).</summary>
    public required string NotBeforeText { get; init; }

    /// <summary>End of validity as <c>ASN1_TIME_print</c> writes it.</summary>
    public required string NotAfterText { get; init; }

    /// <summary>Subject alternative names of type DNS.</summary>
    public required IReadOnlyList<string> DnsNames { get; init; }

    /// <summary>Subject alternative names of type URI (e.g. <c>sip:alice@example.com</c>).</summary>
    public required IReadOnlyList<string> Uris { get; init; }

    /// <summary>Subject alternative names of type email.</summary>
    public required IReadOnlyList<string> Emails { get; init; }

    /// <summary>Subject alternative names of type IP address, as text.</summary>
    public required IReadOnlyList<string> IpAddresses { get; init; }

    /// <summary>
    /// Subject alternative names of the kinds not read as text (otherName such as a Microsoft UPN, dirName, RID,
    /// x400Address, ediPartyName, an IP entry of invalid length), by type name as OpenSSL prints it, e.g. <c>othername</c>.
    /// </summary>
    public IReadOnlyList<string> OtherAlternativeNames { get; init; } = [];

    /// <summary>The certificate in PEM.</summary>
    public required string Pem { get; init; }

    /// <summary>The PEM URL-encoded (<c>$tls_peer_urlencoded_cert</c>).</summary>
    public string UrlEncodedPem => Uri.EscapeDataString(Pem);

    /// <summary>
    /// Reads the first certificate of <paramref name="pem"/> (text with a <c>-----BEGIN CERTIFICATE-----</c> block, e.g. a
    /// certificate file's content). Throws <see cref="ArgumentException"/> when it is empty and
    /// <see cref="OpenSslException"/> when OpenSSL finds no certificate in it.
    /// </summary>
    public static TlsCertificateInfo FromPem(string pem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pem);
        OpenSslRuntime.EnsureInitialized();
        return FromFacts(ConnectionInfoReader.ReadPem(pem));
    }

    /// <summary>The public record of what the interop layer read from a certificate.</summary>
    internal static TlsCertificateInfo FromFacts(NativeCertificateFacts facts) => new()
    {
        Subject = TlsDistinguishedName.FromFacts(facts.Subject),
        Issuer = TlsDistinguishedName.FromFacts(facts.Issuer),
        SerialNumber = facts.SerialNumber,
        Version = facts.Version,
        NotBefore = ParseTime(facts.NotBeforeText),
        NotAfter = ParseTime(facts.NotAfterText),
        NotBeforeText = facts.NotBeforeText,
        NotAfterText = facts.NotAfterText,
        DnsNames = facts.DnsNames,
        Uris = facts.Uris,
        Emails = facts.Emails,
        IpAddresses = facts.IpAddresses,
        OtherAlternativeNames = facts.OtherAlternativeNames,
        Pem = facts.Pem,
    };

    /// <summary>Parses <c>ASN1_TIME_print</c>'s <c>Mon DD hh:mm:ss YYYY GMT</c> (day padded with a space).</summary>
    private static DateTimeOffset ParseTime(string text)
    {
        string compact = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return DateTimeOffset.TryParseExact(compact, "MMM d HH:mm:ss yyyy 'GMT'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset value)
            ? value
            : DateTimeOffset.MinValue;
    }
}
