
namespace OpenSslTls.Profiles;

/// <summary>
/// The validity rules of a profile list (spec §3.6), applied to every profile, the last one included (Kamailio
/// checks a section only when the next header is read, so its last section escapes the duplicate check):
/// one default per role (a second one is an error; Kamailio silently keeps the last), <c>any</c> profiles need a
/// <c>server_name</c>, and profiles sharing role, address and port (port compared literally, so <c>:0</c> and
/// <c>:5061</c> never clash) must all have a <c>server_name</c>.
/// </summary>
internal static class TlsProfileRules
{
    /// <summary>Each problem with the index of the profile it is reported on (the later of two clashing ones).</summary>
    internal static IEnumerable<(int Index, string Message)> Check(IReadOnlyList<TlsProfileDefinition> profiles)
    {
        for (int i = 0; i < profiles.Count; i++)
        {
            TlsProfileDefinition profile = profiles[i];
            if (CheckShape(profile) is { } shape)
            {
                yield return (i, shape);
                continue;
            }

            string header = Header(profile);
            if (profile.Scope == TlsProfileScope.Any && string.IsNullOrEmpty(profile.Settings.ServerName))
            {
                yield return (i, $"{header} has no server_name: 'any' profiles are selected by SNI only, so they need one");
            }

            for (int j = 0; j < i; j++)
            {
                TlsProfileDefinition earlier = profiles[j];
                if (earlier.Role != profile.Role || earlier.Scope != profile.Scope || CheckShape(earlier) is not null)
                {
                    continue;
                }

                string where = earlier.Source is null ? string.Empty : $" (first defined at {earlier.Source})";
                if (profile.Scope == TlsProfileScope.Default)
                {
                    yield return (i, $"duplicate {header} section{where}: there can be only one");
                    break;
                }

                if (profile.Scope == TlsProfileScope.Address && earlier.Port == profile.Port && SameAddress(earlier, profile)
                    && (string.IsNullOrEmpty(earlier.Settings.ServerName) || string.IsNullOrEmpty(profile.Settings.ServerName)))
                {
                    yield return (i, $"duplicate {header} section{where}: profiles on the same address and port must each have a server_name");
                    break;
                }
            }
        }
    }

    /// <summary>The section header as written in tls.cfg, e.g. <c>[server:1.2.3.4:5061]</c>.</summary>
    internal static string Header(TlsProfileDefinition profile)
    {
        string role = profile.Role == TlsRole.Server ? "server" : "client";
        string target = profile.Scope switch
        {
            TlsProfileScope.Default => "default",
            TlsProfileScope.Any => "any",
            _ => TlsProfileDefinition.FormatEndPoint(profile.Address, profile.Port),
        };
        return $"[{role}:{target}]";
    }

    /// <summary>Problems only code (not the tls.cfg grammar) can create.</summary>
    private static string? CheckShape(TlsProfileDefinition profile)
    {
        if (profile.Settings is null)
        {
            return "a profile needs settings";
        }

        if (!Enum.IsDefined(profile.Role) || !Enum.IsDefined(profile.Scope))
        {
            return $"invalid role {profile.Role} or scope {profile.Scope}";
        }

        return profile.Scope switch
        {
            TlsProfileScope.Address when profile.Address is null => "an address profile needs an address",
            TlsProfileScope.Address when profile.Port is < 0 or > 65535 => $"port must be 0..65535, not {profile.Port}",
            not TlsProfileScope.Address when profile.Address is not null || profile.Port != 0 =>
                $"a {profile.Scope.ToString().ToLowerInvariant()} profile has no address or port",
            _ => null,
        };
    }

    private static bool SameAddress(TlsProfileDefinition a, TlsProfileDefinition b) =>
        TlsProfileSelector.Normalize(a.Address!).Equals(TlsProfileSelector.Normalize(b.Address!));
}
