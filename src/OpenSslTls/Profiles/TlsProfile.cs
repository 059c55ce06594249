using Microsoft.Extensions.Logging;
using OpenSslTls.Interop;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Profiles;

/// <summary>
/// A built TLS profile: its settings and the one <c>SSL_CTX</c> every connection of the profile shares. Building
/// follows Kamailio's order (protocols, certificates, CAs, CRL, ciphers, verification, options, session cache,
/// private keys, global modes) and fails with a <see cref="TlsProfileException"/> naming the parameter at fault.
/// </summary>
public sealed class TlsProfile : IDisposable
{
    private readonly SafeSslContextHandle _context;

    private TlsProfile(string label, TlsRole role, TlsProfileSettings settings, TlsTuning tuning, TlsRuntimeParameters runtime, SafeSslContextHandle context, ILogger? logger)
    {
        Label = label;
        Role = role;
        Settings = settings;
        Tuning = tuning;
        Runtime = runtime;
        Logger = logger;
        _context = context;
    }

    /// <summary>The profile's name in messages and views, e.g. <c>server:default</c> or <c>client:10.0.0.1:5061</c>.</summary>
    public string Label { get; }

    /// <summary>Whether the profile accepts or opens connections.</summary>
    public TlsRole Role { get; }

    /// <summary>The settings the context was built from.</summary>
    public TlsProfileSettings Settings { get; }

    /// <summary>The module-wide tuning the context was built with.</summary>
    public TlsTuning Tuning { get; }

    /// <summary>The runtime parameters connections of this profile read (queue limits, close_notify).</summary>
    public TlsRuntimeParameters Runtime { get; }

    internal ILogger? Logger { get; }

    /// <summary>
    /// The definition a profile set built this profile from (null for a profile made on its own): SNI selection reads
    /// its scope and settings also after a reload, when the profile no longer belongs to the current set.
    /// </summary>
    internal TlsProfileDefinition? Definition { get; set; }

    internal SafeSslContextHandle Context => _context;

    /// <summary>
    /// Builds a profile. <paramref name="label"/> defaults to <c>server:default</c>/<c>client:default</c>.
    /// <paramref name="engine"/> is the global engine (Kamailio's <c>engine</c>), needed when <c>private_key</c> is
    /// <c>/engine:&lt;key id&gt;</c>; <c>/uri:&lt;URI&gt;</c> keys need none.
    /// Throws <see cref="TlsProfileException"/> for any setting OpenSSL rejects or any unreadable file.
    /// </summary>
    public static TlsProfile Create(
        TlsRole role,
        TlsProfileSettings settings,
        TlsTuning? tuning = null,
        TlsRuntimeParameters? runtime = null,
        ILogger? logger = null,
        string? label = null,
        OpenSslEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        OpenSslRuntime.EnsureInitialized();
        tuning ??= new TlsTuning();
        label ??= role == TlsRole.Server ? "server:default" : "client:default";
        try
        {
            tuning.Validate();
        }
        catch (ArgumentException e)
        {
            throw new TlsProfileException(label, "tuning", e.Message);
        }

        runtime ??= new TlsRuntimeParameters();
        SafeSslContextHandle context = new ProfileContextBuilder(label, role, settings, tuning, logger, engine, runtime.TicketKeys, runtime.SessionStore).Build();
        return new TlsProfile(label, role, settings, tuning, runtime, context, logger);
    }

    /// <summary>Releases this profile's reference to the context; live connections keep their own.</summary>
    public void Dispose() => _context.Dispose();

    /// <inheritdoc />
    public override string ToString() => Label;
}
