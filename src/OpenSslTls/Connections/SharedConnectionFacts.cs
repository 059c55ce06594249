using System.Collections.Concurrent;
using OpenSslTls.Certificates;
using OpenSslTls.Interop;

namespace OpenSslTls.Connections;

/// <summary>
/// The parts of <see cref="TlsConnectionInfo"/> that thousands of connections have in common, kept once instead of
/// once per connection: a server's own certificate (every connection of a profile presents the same one; read as a
/// record of ~2.5 KB of strings and lists) and the names OpenSSL takes from its fixed tables (protocol, cipher,
/// cipher description, verify text, group). The certificate is keyed by its PEM text, which determines every field of
/// the record, so two connections share an entry only when they present the same certificate. Bounded: past
/// <see cref="MaxEntries"/> distinct values a table starts over, so peer-chosen values cannot grow it.
/// </summary>
internal static class SharedConnectionFacts
{
    internal const int MaxEntries = 256;

    private static readonly ConcurrentDictionary<string, TlsCertificateInfo> s_certificates = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> s_names = new(StringComparer.Ordinal);

    /// <summary>The one record for the certificate <paramref name="facts"/> describe.</summary>
    public static TlsCertificateInfo Certificate(NativeCertificateFacts facts)
    {
        if (s_certificates.TryGetValue(facts.Pem, out TlsCertificateInfo? known))
        {
            return known;
        }

        if (s_certificates.Count >= MaxEntries)
        {
            s_certificates.Clear();
        }

        return s_certificates.GetOrAdd(facts.Pem, TlsCertificateInfo.FromFacts(facts));
    }

    /// <summary>The one instance of <paramref name="name"/> (a name from OpenSSL's tables, not from the peer).</summary>
    public static string Name(string name)
    {
        if (s_names.TryGetValue(name, out string? known))
        {
            return known;
        }

        if (s_names.Count >= MaxEntries)
        {
            s_names.Clear();
        }

        return s_names.GetOrAdd(name, name);
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> are the same shared record (tests).</summary>
    internal static bool AreShared(TlsCertificateInfo? a, TlsCertificateInfo? b) => a is not null && ReferenceEquals(a, b);
}
