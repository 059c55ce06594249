namespace OpenSslTls.Module;

/// <summary>
/// The log categories a <see cref="TlsModule"/> writes under (loggers made by
/// <c>TlsModuleHostOptions.LoggerFactory</c>), one per area, so each can be filtered on its own, e.g.
/// <c>"Logging": { "LogLevel": { "OpenSslTls.Connections": "Warning" } }</c>. Every category starts with
/// <see cref="Prefix"/>, so <c>"OpenSslTls"</c> still filters them all. docs/metrics.md lists what each one carries.
/// </summary>
public static class TlsLogCategories
{
    /// <summary>The common prefix (the library's name, also the <c>Meter</c> and <c>ActivitySource</c> name).</summary>
    public const string Prefix = "OpenSslTls";

    /// <summary>Reloads (done or refused with every error) and <c>event_callback</c> handler failures.</summary>
    public const string Module = "OpenSslTls.Module";

    /// <summary>Per connection: established (at <c>tls_log</c>'s level), handshake failures, creation and release (at <c>tls_debug</c>'s level), low memory.</summary>
    public const string Connections = "OpenSslTls.Connections";

    /// <summary>Building profiles: parameters OpenSSL ignores, key files readable by others, key log lines and key log write failures.</summary>
    public const string Profiles = "OpenSslTls.Profiles";

    /// <summary>What the configuration does here: where the key log goes, parameters that have no effect in one process.</summary>
    public const string Configuration = "OpenSslTls.Configuration";

    /// <summary>Loading OpenSSL: a forced run past the version gate (<c>tls_force_run</c>), the engine loaded.</summary>
    public const string OpenSsl = "OpenSslTls.OpenSsl";
}
