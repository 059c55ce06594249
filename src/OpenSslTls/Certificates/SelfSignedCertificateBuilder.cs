using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;
using OpenSslTls.Connections;

namespace OpenSslTls.Certificates;

/// <summary>
/// Describes a self-signed server certificate and creates it, with a new key, in process through OpenSSL (no
/// <c>openssl</c> tool): X.509 v3, subject <c>CN=</c><see cref="CommonName"/> (also the issuer), subject alternative
/// names from <see cref="DnsNames"/> and <see cref="IpAddresses"/>, valid from now for <see cref="ValidityDays"/> days,
/// a random 128-bit serial, <c>basicConstraints=critical,CA:FALSE</c>, <c>keyUsage=critical,digitalSignature</c>
/// (plus <c>keyEncipherment</c> for RSA), <c>extendedKeyUsage=serverAuth</c>, a subject key identifier, and a SHA-256
/// signature. Meant for development and first-start defaults: peers trust it only when given the certificate itself
/// as their CA (<c>ca_list</c>, <c>openssl s_client -CAfile</c>).
/// </summary>
/// <example>
/// <code>
/// SelfSignedCertificatePem created = new SelfSignedCertificateBuilder("sip.example.org")
///     .AddDnsName("sip.example.org")
///     .AddIpAddress(IPAddress.Parse("192.0.2.10"))
///     .WithValidityDays(365)
///     .Create();
/// created.WriteFiles("/etc/kamailio/cert.pem", "/etc/kamailio/key.pem");
/// </code>
/// </example>
public sealed class SelfSignedCertificateBuilder
{
    /// <summary>The validity used unless <see cref="WithValidityDays"/> says otherwise: 825 days, the longest Apple's clients accept.</summary>
    public const int DefaultValidityDays = 825;

    /// <summary>The longest validity accepted (100 years); longer ones are almost certainly a unit mistake.</summary>
    public const int MaxValidityDays = 36500;

    // RFC 5280's upper bound for a commonName (ub-common-name); OpenSSL refuses longer ones with a less clear message.
    private const int MaxCommonNameLength = 64;
    private const int MaxDnsNameLength = 253;
    private const int MaxLabelLength = 63;

    private readonly List<string> _dnsNames = [];
    private readonly List<IPAddress> _ipAddresses = [];

    /// <summary>
    /// Starts a certificate for <paramref name="commonName"/> (1 to 64 characters, no control characters). The common
    /// name is not added as a DNS name by itself: TLS clients match host names against <see cref="DnsNames"/>.
    /// </summary>
    public SelfSignedCertificateBuilder(string commonName)
    {
        ArgumentNullException.ThrowIfNull(commonName);
        if (commonName.Length == 0 || commonName.Length > MaxCommonNameLength)
        {
            throw new ArgumentException($"the common name must have 1 to {MaxCommonNameLength} characters, not {commonName.Length}", nameof(commonName));
        }

        if (commonName.Any(char.IsControl))
        {
            throw new ArgumentException("the common name must not contain control characters", nameof(commonName));
        }

        CommonName = commonName;
    }

    /// <summary>The subject's (and issuer's) common name.</summary>
    public string CommonName { get; }

    /// <summary>The DNS subject alternative names, in the order added.</summary>
    public IReadOnlyList<string> DnsNames => _dnsNames;

    /// <summary>The IP address subject alternative names, in the order added.</summary>
    public IReadOnlyList<IPAddress> IpAddresses => _ipAddresses;

    /// <summary>How many days from now the certificate is valid. Default <see cref="DefaultValidityDays"/>.</summary>
    public int ValidityDays { get; private set; } = DefaultValidityDays;

    /// <summary>The key to generate. Default <see cref="SelfSignedKeyAlgorithm.EcP256"/>.</summary>
    public SelfSignedKeyAlgorithm KeyAlgorithm { get; private set; } = SelfSignedKeyAlgorithm.EcP256;

    /// <summary>
    /// The usual development certificate: <c>CN=localhost</c> with the names <c>DNS:localhost</c>,
    /// <c>IP:127.0.0.1</c> and <c>IP:::1</c>.
    /// </summary>
    public static SelfSignedCertificateBuilder ForLocalhost() =>
        new SelfSignedCertificateBuilder("localhost").AddDnsName("localhost").AddIpAddress(IPAddress.Loopback).AddIpAddress(IPAddress.IPv6Loopback);

    /// <summary>
    /// Adds a DNS name: ASCII letters, digits and hyphens in dot-separated labels of at most 63 characters (no label
    /// starting or ending with a hyphen), at most 253 characters, optionally starting with a <c>*.</c> wildcard label.
    /// Internationalised names must be given in their ASCII (<c>xn--</c>) form. Names are kept as given (DNS is
    /// case-insensitive); a name already added is not added twice.
    /// </summary>
    public SelfSignedCertificateBuilder AddDnsName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string? problem = CheckDnsName(name);
        if (problem is not null)
        {
            throw new ArgumentException($"'{Printable(name)}' is not a usable DNS name: {problem}", nameof(name));
        }

        if (!_dnsNames.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            _dnsNames.Add(name);
        }

        return this;
    }

    /// <summary>
    /// Adds an IPv4 or IPv6 address (an IPv6 scope id such as <c>%eth0</c> is refused: certificates carry no scope). An
    /// address already added is not added twice.
    /// </summary>
    public SelfSignedCertificateBuilder AddIpAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"'{address}' is neither an IPv4 nor an IPv6 address", nameof(address));
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            throw new ArgumentException($"'{address}' has a scope id; certificates carry the address only", nameof(address));
        }

        if (!_ipAddresses.Contains(address))
        {
            _ipAddresses.Add(address);
        }

        return this;
    }

    /// <summary>Sets the validity, 1 to <see cref="MaxValidityDays"/> days from the moment of <see cref="Create"/>.</summary>
    public SelfSignedCertificateBuilder WithValidityDays(int days)
    {
        if (days < 1 || days > MaxValidityDays)
        {
            throw new ArgumentOutOfRangeException(nameof(days), days, $"the validity must be 1 to {MaxValidityDays} days");
        }

        ValidityDays = days;
        return this;
    }

    /// <summary>Sets the key to generate.</summary>
    public SelfSignedCertificateBuilder WithKeyAlgorithm(SelfSignedKeyAlgorithm algorithm)
    {
        if (!Enum.IsDefined(algorithm))
        {
            throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown key algorithm");
        }

        KeyAlgorithm = algorithm;
        return this;
    }

    /// <summary>
    /// Generates a new key and the certificate. Each call makes a different key and serial. Throws
    /// <see cref="OpenSslException"/> when OpenSSL fails (e.g. a FIPS-only provider refusing the algorithm).
    /// </summary>
    public SelfSignedCertificatePem Create()
    {
        OpenSslRuntime.EnsureInitialized();
        (string certificatePem, string privateKeyPem) = SelfSignedCertificateMaker.Create(
            CommonName, [.. _dnsNames], [.. _ipAddresses], ValidityDays, rsa: KeyAlgorithm == SelfSignedKeyAlgorithm.Rsa2048);
        return new SelfSignedCertificatePem(certificatePem, privateKeyPem, TlsCertificateInfo.FromPem(certificatePem));
    }

    /// <summary>Why <paramref name="name"/> is not a usable DNS name, or null when it is.</summary>
    private static string? CheckDnsName(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (name.Length > MaxDnsNameLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"it has {name.Length} characters, more than {MaxDnsNameLength}");
        }

        string[] labels = name.Split('.');
        for (int i = 0; i < labels.Length; i++)
        {
            string label = labels[i];
            if (label == "*" && i == 0 && labels.Length > 1)
            {
                continue; // a wildcard, only as the whole leftmost label of a longer name
            }

            if (label.Length == 0)
            {
                return "it has an empty label (two dots in a row, or a dot at either end)";
            }

            if (label.Length > MaxLabelLength)
            {
                return string.Create(CultureInfo.InvariantCulture, $"the label '{label}' has more than {MaxLabelLength} characters");
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"the label '{label}' starts or ends with a hyphen";
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return c == '*'
                        ? "a wildcard may only be the whole leftmost label (*.example.org)"
                        : c > '\u007f'
                            ? "it is not ASCII; give an internationalised name in its xn-- form"
                            : $"it contains '{Printable(c.ToString())}'; only letters, digits, hyphens and dots are allowed";
                }
            }
        }

        return null;
    }

    /// <summary>The text with control characters escaped, for messages.</summary>
    private static string Printable(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}") : c.ToString()));
}
