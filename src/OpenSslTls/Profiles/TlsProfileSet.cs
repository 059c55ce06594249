using System.Net;
using Microsoft.Extensions.Logging;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Profiles;

/// <summary>
/// A complete TLS configuration, built: every profile of a tls.cfg (or, without one, the modparam template as
/// <c>[server:default]</c> and <c>[client:default]</c>) with its context, plus profile selection for incoming and
/// outgoing connections. Building is all or nothing: when any profile fails, the ones already built are disposed and
/// a <see cref="TlsProfileSetException"/> lists every failing profile. A missing <c>[server:default]</c> or
/// <c>[client:default]</c> is added with the built-in defaults (as Kamailio: the server one loads <c>cert.pem</c>
/// from the main configuration directory), except that a set built for outgoing connections only (<c>clientOnly</c>)
/// gets no implied <c>[server:default]</c>, so a client-only tls.cfg needs no server certificate; such a set has no
/// <see cref="ServerDefault"/> and refuses server selection. Selection is thread-safe; dispose the set when it is
/// replaced (live connections keep their contexts alive on their own).
/// </summary>
public sealed class TlsProfileSet : IDisposable
{
    private readonly TlsProfileDefinition[] _definitions;
    private readonly TlsProfile[] _profiles;
    private readonly Dictionary<TlsProfile, int> _indexOf;
    private readonly int _serverDefault;
    private readonly int _clientDefault;
    private int _disposed;
    private LocalSelector? _lastSelector; // ServerNameSelectorFor's last address and its selector

    private TlsProfileSet(TlsProfileDefinition[] definitions, TlsProfile[] profiles, TlsTuning tuning, TlsRuntimeParameters runtime)
    {
        _definitions = definitions;
        _profiles = profiles;
        Tuning = tuning;
        Runtime = runtime;
        _indexOf = new Dictionary<TlsProfile, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < profiles.Length; i++)
        {
            _indexOf.Add(profiles[i], i);
        }

        _serverDefault = Array.FindIndex(definitions, d => d.Role == TlsRole.Server && d.Scope == TlsProfileScope.Default);
        _clientDefault = Array.FindIndex(definitions, d => d.Role == TlsRole.Client && d.Scope == TlsProfileScope.Default);
    }

    /// <summary>Every profile, implied defaults first, then in file order.</summary>
    public IReadOnlyList<TlsProfile> Profiles => _profiles;

    /// <summary>The definitions the profiles were built from, index for index with <see cref="Profiles"/>.</summary>
    public IReadOnlyList<TlsProfileDefinition> Definitions => _definitions;

    /// <summary>
    /// <c>[server:default]</c>. Throws <see cref="InvalidOperationException"/> when the set was built for outgoing
    /// connections only and declares none (see <see cref="HasServerDefault"/>).
    /// </summary>
    public TlsProfile ServerDefault => _serverDefault >= 0 ? _profiles[_serverDefault] : throw NoServerDefault();

    /// <summary>
    /// False only for a set built for outgoing connections only (<c>clientOnly</c>) whose configuration declares no
    /// <c>[server:default]</c>: incoming connections then have no fallback profile.
    /// </summary>
    public bool HasServerDefault => _serverDefault >= 0;

    /// <summary><c>[client:default]</c>.</summary>
    public TlsProfile ClientDefault => _profiles[_clientDefault];

    /// <summary>The global tuning every context was built with.</summary>
    public TlsTuning Tuning { get; }

    /// <summary>The runtime parameters every profile's connections read.</summary>
    public TlsRuntimeParameters Runtime { get; }

    /// <summary>
    /// Builds <paramref name="definitions"/> (checked with the tls.cfg rules: one default per role, <c>any</c> needs a
    /// server_name, no unnamed duplicates on one address and port). Missing defaults are added with the built-in
    /// settings, the server one resolving <c>cert.pem</c> against <paramref name="mainConfigDirectory"/> (null: the
    /// working directory). <paramref name="engine"/> is the global engine <c>/engine:</c> private keys need. With
    /// <paramref name="clientOnly"/> a missing <c>[server:default]</c> is not added: nothing would use it, and its
    /// built-in <c>cert.pem</c> would make a client-only configuration fail for a file it does not need. Server
    /// profiles the definitions declare are still built (and must load), as a reload of the same file would.
    /// </summary>
    public static TlsProfileSet Build(
        IEnumerable<TlsProfileDefinition> definitions,
        TlsTuning? tuning = null,
        TlsRuntimeParameters? runtime = null,
        ILogger? logger = null,
        string? mainConfigDirectory = null,
        OpenSslEngine? engine = null,
        bool clientOnly = false)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        List<TlsProfileDefinition> list = [.. definitions];
        if (list.Any(definition => definition is null))
        {
            throw new ArgumentException("definitions must not contain null", nameof(definitions));
        }

        List<TlsConfigurationDiagnostic> problems = [.. TlsProfileRules.Check(list)
            .Select(problem => new TlsConfigurationDiagnostic(list[problem.Index].Source ?? list[problem.Index].Label, 0, 0, problem.Message))];
        if (problems.Count > 0)
        {
            throw new TlsConfigurationException(problems);
        }

        if (!list.Exists(d => d.Role == TlsRole.Client && d.Scope == TlsProfileScope.Default))
        {
            list.Insert(0, TlsProfileDefinition.ForDefault(TlsRole.Client, new TlsProfileSettings()));
        }

        if (!clientOnly && !list.Exists(d => d.Role == TlsRole.Server && d.Scope == TlsProfileScope.Default))
        {
            list.Insert(0, TlsProfileDefinition.ForDefault(TlsRole.Server, new TlsProfileSettings()).WithBuiltInDefaults(mainConfigDirectory));
        }

        tuning ??= new TlsTuning();
        runtime ??= new TlsRuntimeParameters();
        var profiles = new TlsProfile?[list.Count];
        List<TlsProfileException> failures = [];
        List<string?> sources = [];
        for (int i = 0; i < list.Count; i++)
        {
            TlsProfileDefinition definition = list[i];
            try
            {
                profiles[i] = TlsProfile.Create(definition.Role, definition.Settings, tuning, runtime, logger, definition.Label, engine);
                profiles[i]!.Definition = definition;
            }
            catch (TlsProfileException e)
            {
                failures.Add(e);
                sources.Add(definition.Source);
            }
            catch (OpenSslException e)
            {
                failures.Add(new TlsProfileException(definition.Label, "context", e.Message, e));
                sources.Add(definition.Source);
            }
        }

        if (failures.Count > 0)
        {
            foreach (TlsProfile? built in profiles)
            {
                built?.Dispose();
            }

            throw new TlsProfileSetException(failures, sources);
        }

        return new TlsProfileSet([.. list], profiles!, tuning, runtime);
    }

    /// <summary>The definition <paramref name="profile"/> (a profile of this set) was built from.</summary>
    public TlsProfileDefinition GetDefinition(TlsProfile profile) => _definitions[IndexOf(profile)];

    /// <summary>
    /// The profile for a connection accepted on <paramref name="local"/>: the last-declared <c>[server:ip:port]</c>
    /// section for that address whose port is the same or 0, whatever its server_name; else <c>[server:default]</c>.
    /// IPv4-mapped IPv6 addresses match IPv4 profiles. Throws <see cref="InvalidOperationException"/> when nothing
    /// matches in a client-only set without <c>[server:default]</c>.
    /// </summary>
    public TlsProfile SelectServer(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);
        ThrowIfDisposed();
        int selected = TlsProfileSelector.SelectServer(_definitions, local);
        return selected >= 0 ? _profiles[selected] : throw NoServerDefault();
    }

    /// <summary>
    /// The profile to switch a server connection to when the client sent SNI <paramref name="serverName"/>, or null to
    /// keep <paramref name="current"/> (no SNI, or nothing matches). Matching uses each profile's server_name and
    /// server_name_mode (0 exact, 1 domain and subdomains, 2 subdomains only; case-insensitive), trying in order
    /// profiles on the connection's address and port, then <c>any</c> profiles, then <c>[server:default]</c>, each
    /// last-declared first. On a mismatch a connection on a named profile moves to an unnamed profile of the same
    /// address if one exists. Deviations from Kamailio: every server profile can switch (Kamailio only the default
    /// and named ones), the connection's own address is used (Kamailio uses the step-A profile's, so connections on
    /// the default only see <c>any</c> profiles), and a mismatch never falls back to <c>[server:default]</c>. A connection
    /// that started on a <c>[server:ip:port]</c> profile is never switched to a profile that lowers its client-certificate
    /// requirement or verification, its minimum protocol version, or (when it verifies) its CA list or CRL, unless that
    /// profile is itself a named <c>[server:ip:port]</c> section for the connection's address (the operator's explicit
    /// choice); such a switch is refused and the address profile kept.
    /// <paramref name="current"/> may belong to an earlier set: after a reload Kamailio looks SNI up in the current
    /// configuration, also for connections accepted before it (the unnamed-profile fallback then does not apply).
    /// </summary>
    public TlsProfile? SelectServerBySni(TlsProfile current, IPEndPoint local, string serverName)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(local);
        ThrowIfDisposed();
        if (current.Role != TlsRole.Server)
        {
            throw new ArgumentException($"{current.Label} is not a server profile", nameof(current));
        }

        int index = _indexOf.TryGetValue(current, out int own) ? own : -1;
        int selected = TlsProfileSelector.SelectServerBySni(_definitions, index, index >= 0 ? _definitions[index] : current.Definition, local, serverName);
        return selected < 0 ? null : _profiles[selected];
    }

    /// <summary>
    /// The profile for an outgoing connection to <paramref name="remote"/>: the client profile whose server_id equals
    /// <paramref name="serverId"/> ignoring case (as Kamailio), when given and found; else the last-declared <c>[client:ip:port]</c> (port
    /// equal or 0) or <c>[client:any]</c> profile for the remote address, where a profile with a server_name must match
    /// <paramref name="serverName"/> when that is given and <c>any</c> profiles are only taken on such a match; else
    /// <c>[client:default]</c>. Deviations from Kamailio: the remote address is used (Kamailio keys on the local socket
    /// address), and server_id is looked up before, not alongside, address matches (as Kamailio's documentation says).
    /// </summary>
    public TlsProfile SelectClient(IPEndPoint remote, string? serverName = null, string? serverId = null)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ThrowIfDisposed();
        return _profiles[TlsProfileSelector.SelectClient(_definitions, remote, serverName, serverId)];
    }

    /// <summary>
    /// The SNI hook for connections accepted on <paramref name="local"/>: <see cref="SelectServerBySni"/> bound to that
    /// address, for <c>TlsProfile.CreateConnection</c>. After the set is disposed it throws
    /// <see cref="ObjectDisposedException"/>, which fails the handshake: a set is disposed only once none of its
    /// connections should be running, so going on with the address profile would skip the SNI profile's rules (fail open).
    /// </summary>
    public TlsServerNameSelector ServerNameSelectorFor(IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(local);

        // A listener's connections all share its local address: the last address's selector serves them, so an
        // accepted connection neither allocates nor keeps a selector of its own.
        LocalSelector? last = Volatile.Read(ref _lastSelector);
        if (last is not null && last.Local.Equals(local))
        {
            return last.Selector;
        }

        var copy = new IPEndPoint(local.Address, local.Port); // the caller's object may change; the cached one may not
        TlsServerNameSelector selector = (current, serverName) => SelectServerBySni(current, copy, serverName);
        Volatile.Write(ref _lastSelector, new LocalSelector(copy, selector));
        return selector;
    }

    private sealed record LocalSelector(IPEndPoint Local, TlsServerNameSelector Selector);

    /// <summary>Disposes every profile. Connections already made keep working; selection throws afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (TlsProfile profile in _profiles)
        {
            profile.Dispose();
        }
    }

    private int IndexOf(TlsProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return _indexOf.TryGetValue(profile, out int index)
            ? index
            : throw new ArgumentException($"profile {profile.Label} does not belong to this set", nameof(profile));
    }

    private static InvalidOperationException NoServerDefault() => new(
        "no [server:default] profile: this profile set was built for outgoing connections only (clientOnly) and its configuration declares none");

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
