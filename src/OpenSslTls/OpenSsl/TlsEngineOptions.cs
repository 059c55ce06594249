using OpenSslTls.Interop;

namespace OpenSslTls.OpenSsl;

/// <summary>
/// The global engine settings, as Kamailio's module parameters name them. Global only: like Kamailio, one engine
/// serves the whole process; profiles refer to its keys with <c>private_key = /engine:&lt;key id&gt;</c>.
/// Give them to <see cref="OpenSslEngine.Load"/>.
/// </summary>
public sealed class TlsEngineOptions
{
    /// <summary>The value that disables a setting (<c>engine</c>, <c>engine_config</c>, <c>engine_algorithms</c>).</summary>
    public const string None = "NONE";

    /// <summary>The default of <see cref="EngineAlgorithms"/>: Kamailio's code uses <c>ALL</c> (its documentation says none).</summary>
    public const string DefaultAlgorithms = "ALL";

    /// <summary>
    /// <c>engine</c>: the OpenSSL ENGINE id (for example <c>pkcs11</c>), or <c>NONE</c> (the default) for no engine.
    /// When <see cref="EngineConfig"/> is set, the id selects the engine's section in that file.
    /// </summary>
    public string Engine { get; set; } = None;

    /// <summary>
    /// <c>engine_config</c>: an OpenSSL configuration file that loads and configures the engine, or <c>NONE</c>
    /// (the default) to load the engine by id alone. The file's top-level <c>kamailio = &lt;section&gt;</c> (or, when
    /// absent, <c>openssl_conf = &lt;section&gt;</c>) names a section whose <c>engines = &lt;section&gt;</c> lists the
    /// engines; the entry named after <see cref="Engine"/> (or whose <c>engine_id</c> is it) points at the engine's
    /// section: <c>dynamic_path</c> (the engine's shared object), then every other line is an engine control command
    /// sent before initialisation, such as <c>MODULE_PATH</c> and <c>PIN</c>. Values of controls whose name contains
    /// PIN, PASS or SECRET are never logged nor put in exception messages.
    /// </summary>
    public string EngineConfig { get; set; } = None;

    /// <summary>
    /// <c>engine_algorithms</c>: which methods the engine becomes the process-wide default for
    /// (<c>ENGINE_set_default_string</c>): <c>ALL</c> (the default, as Kamailio's code), <c>NONE</c>, or a comma
    /// list of <c>RSA</c>, <c>DSA</c>, <c>DH</c>, <c>EC</c>, <c>RAND</c>, <c>CIPHERS</c>, <c>DIGESTS</c>, <c>PKEY</c>,
    /// <c>PKEY_CRYPTO</c>, <c>PKEY_ASN1</c> (case-insensitive). Keys loaded with <c>/engine:</c> use the engine
    /// whatever this says; <c>NONE</c> keeps every other operation on OpenSSL's own implementations.
    /// </summary>
    public string EngineAlgorithms { get; set; } = DefaultAlgorithms;

    /// <summary>Whether an engine is configured (<see cref="Engine"/> is neither empty nor <c>NONE</c>).</summary>
    public bool IsEnabled => !IsNone(Engine);

    /// <summary>The configuration file to read, or <see langword="null"/> when <see cref="EngineConfig"/> is empty or <c>NONE</c>.</summary>
    public string? ConfigFile => IsNone(EngineConfig) ? null : EngineConfig;

    internal static bool IsNone(string? value) =>
        string.IsNullOrWhiteSpace(value) || string.Equals(value.Trim(), None, StringComparison.OrdinalIgnoreCase);
}
