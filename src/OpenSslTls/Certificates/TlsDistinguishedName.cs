using OpenSslTls.Interop;

namespace OpenSslTls.Certificates;

/// <summary>A certificate subject or issuer: the one-line form and the components Kamailio exposes.</summary>
/// <param name="Line">OpenSSL's one-line form, e.g. <c>/C=DE/O=Example/CN=sip.example.com</c> (<c>$tls_peer_subject</c>).</param>
/// <param name="CommonName">CN, or null when absent.</param>
/// <param name="Locality">L.</param>
/// <param name="Country">C.</param>
/// <param name="State">ST.</param>
/// <param name="Organization">O.</param>
/// <param name="OrganizationalUnit">OU.</param>
/// <param name="UserId">UID.</param>
public sealed record TlsDistinguishedName(
    string Line,
    string? CommonName,
    string? Locality,
    string? Country,
    string? State,
    string? Organization,
    string? OrganizationalUnit,
    string? UserId)
{
    /// <inheritdoc />
    public override string ToString() => Line;

    /// <summary>The public record of a name the interop layer read.</summary>
    internal static TlsDistinguishedName FromFacts(NativeNameFacts facts) => new(
        facts.Line, facts.CommonName, facts.Locality, facts.Country, facts.State, facts.Organization, facts.OrganizationalUnit, facts.UserId);
}
