using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OpenSslTls.Profiles;

/// <summary>
/// One profile as configured (a tls.cfg section, or a default profile of modparam mode), before its context is
/// built: the role, what it matches (<see cref="Scope"/>, <see cref="Address"/>, <see cref="Port"/>) and its
/// settings. Definitions read from tls.cfg have their file names resolved and their unset fields filled with the
/// built-in defaults (<see cref="WithBuiltInDefaults"/>).
/// </summary>
public sealed record TlsProfileDefinition
{
    /// <summary>The certificate file a server profile uses when it names none (Kamailio's <c>cert.pem</c>).</summary>
    public const string DefaultCertificateFile = "cert.pem";

    /// <summary>Server (<c>[server:…]</c>) or client (<c>[client:…]</c>).</summary>
    public required TlsRole Role { get; init; }

    /// <summary>Default, any address, or one address.</summary>
    public TlsProfileScope Scope { get; init; }

    /// <summary>The address of an <see cref="TlsProfileScope.Address"/> profile; null otherwise.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>The port of an <see cref="TlsProfileScope.Address"/> profile, 0..65535; 0 matches every port.</summary>
    public int Port { get; init; }

    /// <summary>What the profile's context is built from.</summary>
    public required TlsProfileSettings Settings { get; init; }

    /// <summary>Where the section header is (<c>file:line:column</c>), or null for profiles made in code or implied.</summary>
    public string? Source { get; init; }

    /// <summary>
    /// The profile's name in messages and views: <c>server:default</c>, <c>client:any/example.org</c>,
    /// <c>server:10.0.0.1:5061</c>, <c>server:[2001:db8::1]:5061/example.org</c> (the server_name is appended, when
    /// set, to tell apart profiles sharing an address).
    /// </summary>
    public string Label
    {
        get
        {
            string role = Role == TlsRole.Server ? "server" : "client";
            string target = Scope switch
            {
                TlsProfileScope.Default => "default",
                TlsProfileScope.Any => "any",
                _ => FormatEndPoint(Address, Port),
            };
            return Scope != TlsProfileScope.Default && !string.IsNullOrEmpty(Settings.ServerName)
                ? $"{role}:{target}/{Settings.ServerName}"
                : $"{role}:{target}";
        }
    }

    /// <summary>A <c>[server:default]</c>/<c>[client:default]</c> profile.</summary>
    public static TlsProfileDefinition ForDefault(TlsRole role, TlsProfileSettings settings) =>
        new() { Role = role, Scope = TlsProfileScope.Default, Settings = settings };

    /// <summary>An <c>any</c> profile; <paramref name="settings"/> must have a <c>server_name</c>.</summary>
    public static TlsProfileDefinition ForAny(TlsRole role, TlsProfileSettings settings) =>
        new() { Role = role, Scope = TlsProfileScope.Any, Settings = settings };

    /// <summary>An <c>ip:port</c> profile (port 0: every port).</summary>
    public static TlsProfileDefinition ForAddress(TlsRole role, IPAddress address, int port, TlsProfileSettings settings)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new() { Role = role, Scope = TlsProfileScope.Address, Address = address, Port = port, Settings = settings };
    }

    /// <summary>
    /// Kamailio's file-mode defaults for fields a section leaves unset (spec: they come from these built-in values,
    /// never from <c>[server:default]</c> or modparams): a server certificate <c>cert.pem</c> in
    /// <paramref name="mainConfigDirectory"/>, and, as an improvement over Kamailio (whose key default is always
    /// <c>cert.pem</c>), a private key in the certificate's file when only the certificate is given. Every other
    /// default is <see cref="TlsProfileSettings"/>'s own (method <c>TLSv1.2+</c>, where Kamailio has <c>TLSv1+</c>).
    /// </summary>
    public TlsProfileDefinition WithBuiltInDefaults(string? mainConfigDirectory)
    {
        string? certificate = Settings.Certificate;
        if (certificate is null && Role == TlsRole.Server && Settings.CertificateSource is null)
        {
            certificate = KamailioPath.Resolve(DefaultCertificateFile, mainConfigDirectory);
        }

        return this with { Settings = Settings with { Certificate = certificate, PrivateKey = Settings.PrivateKey ?? certificate } };
    }

    /// <inheritdoc />
    public override string ToString() => Source is null ? Label : $"{Label} ({Source})";

    /// <summary><c>1.2.3.4:5061</c> or <c>[2001:db8::1]:5061</c>, as tls.cfg headers write addresses.</summary>
    internal static string FormatEndPoint(IPAddress? address, int port)
    {
        string portText = port.ToString(CultureInfo.InvariantCulture);
        if (address is null)
        {
            return "?:" + portText;
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{FormatIPv6(address)}]:{portText}" : $"{address}:{portText}";
    }

    /// <summary>IPv6 text without the dotted IPv4 tail or zone that tls.cfg headers cannot hold.</summary>
    internal static string FormatIPv6(IPAddress address)
    {
        string text = address.ToString();
        if (!text.Contains('.', StringComparison.Ordinal) && !text.Contains('%', StringComparison.Ordinal))
        {
            return text;
        }

        byte[] bytes = address.GetAddressBytes();
        return string.Join(':', Enumerable.Range(0, 8).Select(i => ((bytes[2 * i] << 8) | bytes[(2 * i) + 1]).ToString("x", CultureInfo.InvariantCulture)));
    }
}
