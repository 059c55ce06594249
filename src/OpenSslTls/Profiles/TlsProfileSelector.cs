using System.Net;
using System.Net.Sockets;

namespace OpenSslTls.Profiles;

/// <summary>
/// Profile selection (spec §4) as pure functions over a profile list in file order; they return an index, or -1.
/// Lists are walked from the end, because Kamailio prepends each section to its list: the later-declared profile is
/// tried first. Addresses compare after unmapping IPv4-mapped IPv6 (<c>::ffff:1.2.3.4</c>, what a dual-mode socket
/// reports) and dropping IPv6 scope ids, so a dual-stack listener matches its IPv4 profiles (Kamailio compares
/// families literally).
/// </summary>
internal static class TlsProfileSelector
{
    /// <summary>
    /// Server step A: the last-declared <c>[server:ip:port]</c> profile whose address equals <paramref name="local"/>
    /// and whose port equals it or is 0, whatever its server_name (as Kamailio); else <c>[server:default]</c>.
    /// </summary>
    internal static int SelectServer(IReadOnlyList<TlsProfileDefinition> profiles, IPEndPoint local)
    {
        for (int i = profiles.Count - 1; i >= 0; i--)
        {
            if (profiles[i].Role == TlsRole.Server && AddressMatches(profiles[i], local))
            {
                return i;
            }
        }

        return DefaultOf(profiles, TlsRole.Server);
    }

    /// <summary>
    /// Server step B, on the client's SNI: the first match of, in order, (1) a profile on the connection's address
    /// and port whose server_name matches, (2) an <c>any</c> profile whose server_name matches, (3)
    /// <c>[server:default]</c> if its server_name matches; each tier last-declared first. When nothing matches, a
    /// connection on a profile with a (different) server_name moves to an unnamed profile of the same address when
    /// there is one (Kamailio's "socket match"); otherwise -1: keep the current profile. Deviations from Kamailio:
    /// every server profile takes part (Kamailio only switches connections that started on the default or a named
    /// profile), same-address profiles are preferred over <c>any</c> ones, the lookup uses the connection's own
    /// address (Kamailio: the address of the step A profile, so connections on the default only reach <c>any</c>
    /// profiles), and a mismatch keeps the profile instead of falling to <c>[server:default]</c>.
    /// </summary>
    internal static int SelectServerBySni(IReadOnlyList<TlsProfileDefinition> profiles, int current, IPEndPoint local, string? serverName) =>
        SelectServerBySni(profiles, current, current >= 0 ? profiles[current] : null, local, serverName);

    /// <summary>
    /// <see cref="SelectServerBySni(IReadOnlyList{TlsProfileDefinition}, int, IPEndPoint, string?)"/>, then the guard of
    /// an address profile: when the connection started on a <c>[server:ip:port]</c> profile (<paramref name="initial"/>,
    /// which may belong to an earlier set), the SNI choice is refused (-1: keep the address profile) if it would lower
    /// what that profile demands (<see cref="Lowers"/>), unless the chosen profile is itself defined for the
    /// connection's address: an operator who writes a named <c>[server:ip:port]</c> section says explicitly what that
    /// name gets on that address. <c>any</c> profiles and <c>[server:default]</c> never loosen an address profile.
    /// Connections that started on <c>[server:default]</c> switch freely (name-based virtual hosting).
    /// </summary>
    internal static int SelectServerBySni(IReadOnlyList<TlsProfileDefinition> profiles, int current, TlsProfileDefinition? initial, IPEndPoint local, string? serverName)
    {
        int selected = LookUpServerBySni(profiles, current, local, serverName);
        if (selected < 0 || initial is not { Scope: TlsProfileScope.Address } || ReferenceEquals(profiles[selected], initial))
        {
            return selected;
        }

        TlsProfileDefinition chosen = profiles[selected];
        bool definedForThisAddress = AddressMatches(chosen, local);
        return definedForThisAddress || !Lowers(chosen.Settings, initial.Settings) ? selected : -1;
    }

    /// <summary>
    /// Whether serving a connection with <paramref name="candidate"/> instead of <paramref name="initial"/> would accept
    /// a peer that <paramref name="initial"/> refuses: a client certificate no longer required, or no longer verified
    /// (off, or optional_no_ca's accept-anything), a lower minimum protocol version, or, where <paramref name="initial"/>
    /// verifies, any other CA list, CA directory or CRL (a different trust anchor is not comparable, so it counts as lower).
    /// </summary>
    internal static bool Lowers(TlsProfileSettings candidate, TlsProfileSettings initial)
    {
        int had = ProfileContextBuilder.VerifyModeFor(initial, TlsRole.Server);
        int gets = ProfileContextBuilder.VerifyModeFor(candidate, TlsRole.Server);
        bool hadRequired = (had & Interop.NativeMethods.Ssl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT) != 0;
        bool getsRequired = (gets & Interop.NativeMethods.Ssl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT) != 0;
        bool hadVerified = had != Interop.NativeMethods.Ssl.SSL_VERIFY_NONE && initial.VerifyClient != VerifyClientMode.OptionalNoCa;
        bool getsVerified = gets != Interop.NativeMethods.Ssl.SSL_VERIFY_NONE && candidate.VerifyClient != VerifyClientMode.OptionalNoCa;
        if ((hadRequired && !getsRequired) || (hadVerified && !getsVerified))
        {
            return true;
        }

        if (MinimumVersion(candidate.Method) < MinimumVersion(initial.Method))
        {
            return true;
        }

        return hadVerified && (!string.Equals(candidate.CaList, initial.CaList, StringComparison.Ordinal)
            || !string.Equals(candidate.CaPath, initial.CaPath, StringComparison.Ordinal)
            || !string.Equals(candidate.Crl, initial.Crl, StringComparison.Ordinal)
            || !ReferenceEquals(candidate.CertificateAuthorities, initial.CertificateAuthorities));
    }

    /// <summary>The lowest protocol version a method allows (0 for SSLv23: OpenSSL's own floor, the lowest of all).</summary>
    private static int MinimumVersion(TlsMethod method) => method switch
    {
        TlsMethod.SSLv2 => 0x0200,
        TlsMethod.SSLv3 => Interop.NativeMethods.Ssl.SSL3_VERSION,
        TlsMethod.TLSv1 or TlsMethod.TLSv1Plus => Interop.NativeMethods.Ssl.TLS1_VERSION,
        TlsMethod.TLSv1_1 or TlsMethod.TLSv1_1Plus => Interop.NativeMethods.Ssl.TLS1_1_VERSION,
        TlsMethod.TLSv1_2 or TlsMethod.TLSv1_2Plus => Interop.NativeMethods.Ssl.TLS1_2_VERSION,
        TlsMethod.TLSv1_3 or TlsMethod.TLSv1_3Plus => Interop.NativeMethods.Ssl.TLS1_3_VERSION,
        _ => 0,
    };

    private static int LookUpServerBySni(IReadOnlyList<TlsProfileDefinition> profiles, int current, IPEndPoint local, string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return -1;
        }

        for (int i = profiles.Count - 1; i >= 0; i--)
        {
            TlsProfileDefinition profile = profiles[i];
            if (profile.Role == TlsRole.Server && AddressMatches(profile, local) && NameMatches(profile.Settings, serverName))
            {
                return i;
            }
        }

        for (int i = profiles.Count - 1; i >= 0; i--)
        {
            TlsProfileDefinition profile = profiles[i];
            if (profile.Role == TlsRole.Server && profile.Scope == TlsProfileScope.Any && NameMatches(profile.Settings, serverName))
            {
                return i;
            }
        }

        int fallback = DefaultOf(profiles, TlsRole.Server);
        if (fallback >= 0 && NameMatches(profiles[fallback].Settings, serverName))
        {
            return fallback;
        }

        if (current >= 0 && !string.IsNullOrEmpty(profiles[current].Settings.ServerName))
        {
            for (int i = profiles.Count - 1; i >= 0; i--)
            {
                TlsProfileDefinition profile = profiles[i];
                if (profile.Role == TlsRole.Server && AddressMatches(profile, local) && string.IsNullOrEmpty(profile.Settings.ServerName))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    /// <summary>
    /// Client selection: a non-empty <paramref name="serverId"/> first selects the last-declared client profile whose
    /// server_id equals it, ignoring case as Kamailio does (checked over all client profiles before any address match,
    /// as Kamailio's documentation says; its code checks both in one walk and so lets a later address match win). Else Kamailio's walk, keyed
    /// by the <b>remote</b> address and port (Kamailio keys on the local socket, which rarely helps outgoing
    /// connections): an <c>ip:port</c> (port equal or 0) or <c>any</c> profile; when both
    /// <paramref name="serverName"/> and the profile's server_name are set they must match (else the walk goes on);
    /// otherwise an <c>ip:port</c> profile is taken and an <c>any</c> one skipped. Else <c>[client:default]</c>.
    /// </summary>
    internal static int SelectClient(IReadOnlyList<TlsProfileDefinition> profiles, IPEndPoint remote, string? serverName, string? serverId)
    {
        if (!string.IsNullOrEmpty(serverId))
        {
            for (int i = profiles.Count - 1; i >= 0; i--)
            {
                if (profiles[i].Role == TlsRole.Client && string.Equals(profiles[i].Settings.ServerId, serverId, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }

        for (int i = profiles.Count - 1; i >= 0; i--)
        {
            TlsProfileDefinition profile = profiles[i];
            if (profile.Role != TlsRole.Client || !(profile.Scope == TlsProfileScope.Any || AddressMatches(profile, remote)))
            {
                continue;
            }

            if (!string.IsNullOrEmpty(serverName) && !string.IsNullOrEmpty(profile.Settings.ServerName))
            {
                if (NameMatches(profile.Settings, serverName))
                {
                    return i;
                }

                continue;
            }

            if (profile.Scope != TlsProfileScope.Any)
            {
                return i;
            }
        }

        return DefaultOf(profiles, TlsRole.Client);
    }

    /// <summary>
    /// Whether <paramref name="name"/> matches the profile's server_name (case-insensitively) by its mode: 0 the name
    /// itself, 1 the name or any subdomain, 2 subdomains only. A profile without server_name matches nothing.
    /// </summary>
    internal static bool NameMatches(TlsProfileSettings settings, string name)
    {
        string? serverName = settings.ServerName;
        if (string.IsNullOrEmpty(serverName))
        {
            return false;
        }

        bool exact = string.Equals(name, serverName, StringComparison.OrdinalIgnoreCase);
        bool subdomain = name.Length > serverName.Length + 1
            && name[name.Length - serverName.Length - 1] == '.'
            && name.EndsWith(serverName, StringComparison.OrdinalIgnoreCase);
        return settings.ServerNameMode switch
        {
            ServerNameMode.DomainAndSubdomains => exact || subdomain,
            ServerNameMode.SubdomainsOnly => subdomain,
            _ => exact,
        };
    }

    /// <summary>The address in the form profiles are compared in: IPv4-mapped IPv6 unmapped, IPv6 scope id dropped.</summary>
    internal static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0
            ? new IPAddress(address.GetAddressBytes())
            : address;
    }

    private static bool AddressMatches(TlsProfileDefinition profile, IPEndPoint endPoint) =>
        profile.Scope == TlsProfileScope.Address
        && (profile.Port == 0 || profile.Port == endPoint.Port)
        && Normalize(profile.Address!).Equals(Normalize(endPoint.Address));

    private static int DefaultOf(IReadOnlyList<TlsProfileDefinition> profiles, TlsRole role)
    {
        for (int i = profiles.Count - 1; i >= 0; i--)
        {
            if (profiles[i].Role == role && profiles[i].Scope == TlsProfileScope.Default)
            {
                return i;
            }
        }

        return -1;
    }
}
