using Microsoft.Extensions.Logging;
using OpenSslTls.Interop;
using OpenSslTls.Errors;

namespace OpenSslTls.OpenSsl;

/// <summary>
/// The one global OpenSSL ENGINE of Kamailio's <c>engine</c>, <c>engine_config</c> and <c>engine_algorithms</c>
/// parameters: loaded (optionally from a configuration file that names its shared object and control commands such
/// as <c>MODULE_PATH</c> and <c>PIN</c>), initialised, and made the default for the configured algorithm classes.
/// Profiles whose <c>private_key</c> is <c>/engine:&lt;key id&gt;</c> load their key through it (pass the engine to
/// <c>TlsProfile.Create</c>); the key never leaves the device.
/// </summary>
/// <remarks>
/// <para>
/// Holds a structural reference (released by <c>ENGINE_free</c>) and a functional reference (<c>ENGINE_init</c>,
/// released by <c>ENGINE_finish</c>). <see cref="Dispose"/> removes the engine from the default-method tables and
/// drops both; keys already loaded hold their own functional references, so profiles built with them keep working.
/// </para>
/// <para>
/// ENGINEs are deprecated in OpenSSL 3 but still supported; OpenSSL's engine state is process-wide, so load one engine
/// at start-up and keep it. An engine's shared object is loaded once per process and stays in OpenSSL's engine list
/// (as with <c>openssl.cnf</c>); a later <see cref="Load"/> reuses it and sends it the configuration's control
/// commands again. Engines may keep state of their own for the process's life (libp11's pkcs11 engine keeps its
/// logins and last PIN). Configure <c>rand_engine</c> (<see cref="OpenSslRandom"/>) before loading an engine.
/// </para>
/// </remarks>
public sealed partial class OpenSslEngine : IDisposable
{
    private readonly SafeEngineHandle _handle;
    private readonly uint _flags;
    private readonly bool _hasConfiguredPin;
    private int _initialised;

    private OpenSslEngine(SafeEngineHandle handle, string id, string name, string algorithms, uint flags, string? configFile, bool hasConfiguredPin)
    {
        _handle = handle;
        _hasConfiguredPin = hasConfiguredPin;
        Id = id;
        Name = name;
        Algorithms = algorithms;
        _flags = flags;
        ConfigFile = configFile;
        _initialised = 1;
    }

    /// <summary>The engine id (<c>engine</c>, or the section's <c>engine_id</c>), e.g. <c>pkcs11</c>.</summary>
    public string Id { get; }

    /// <summary>The engine's own description, e.g. <c>pkcs11 engine</c>.</summary>
    public string Name { get; }

    /// <summary>The algorithm classes the engine is the process-wide default for, canonical (<c>ALL</c>, <c>NONE</c> or e.g. <c>RSA,EC</c>).</summary>
    public string Algorithms { get; }

    /// <summary>The <c>engine_config</c> file it was loaded with, or <see langword="null"/>.</summary>
    public string? ConfigFile { get; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _initialised) == 0;

    /// <summary>
    /// Loads, configures and initialises the engine <paramref name="options"/> names, and makes it the default for
    /// <see cref="TlsEngineOptions.EngineAlgorithms"/>. Returns <see langword="null"/> when <c>engine</c> is <c>NONE</c>.
    /// Throws <see cref="TlsEngineException"/> naming the parameter at fault: an unknown engine, an unreadable or
    /// incomplete configuration file, a refused control command, or a bad algorithm name. PINs and passwords never
    /// appear in the exception or the log line.
    /// </summary>
    public static OpenSslEngine? Load(TlsEngineOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsEnabled)
        {
            return null;
        }

        OpenSslRuntime.EnsureInitialized();
        string engine = options.Engine.Trim();

        // Checked first: a bad name is a configuration error and must not leave a half-loaded engine behind.
        (uint flags, string algorithms) = EngineAlgorithmList.Parse(options.EngineAlgorithms);
        OpenSslRandom.PinMethod();

        EngineConfigReader.EngineSection? section = options.ConfigFile is { } file ? EngineConfigReader.Read(file, engine) : null;
        string[] secrets = section?.Controls.Where(c => c.IsSecret && c.Value is not null).Select(c => c.Value!).ToArray() ?? [];
        string id = section?.EngineId ?? engine;

        SafeEngineHandle handle = EngineSetup.Open(engine, section, secrets);
        bool initialised = false;
        try
        {
            EngineSetup.Initialise(handle, id, secrets);
            initialised = true;
            EngineSetup.SetDefaults(handle, id, flags, algorithms);
            var loaded = new OpenSslEngine(handle, id, EngineLoader.GetName(handle, id), algorithms, flags, section?.File, secrets.Length > 0);
            if (logger is not null)
            {
                string controls = section is null ? "none" : string.Join(' ', section.Controls.Select(c => c.ToString()));
                LogLoaded(logger, loaded.Id, loaded.Name, section?.DynamicPath ?? "(built in or engines directory)", section?.File ?? "NONE", controls, algorithms);
            }

            return loaded;
        }
        catch
        {
            if (initialised)
            {
                EngineLoader.Release(handle, flags, initialised: true);
            }

            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Removes the engine from the default-method tables, drops the functional reference (<c>ENGINE_finish</c>) and
    /// the structural one (<c>ENGINE_free</c>). Keys loaded earlier stay usable. Safe to call twice.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _initialised, 0) == 0)
        {
            return;
        }

        EngineLoader.Release(_handle, _flags, initialised: true);
        _handle.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({Name})";

    /// <summary>Loads the private key <paramref name="keyId"/> (the text after <c>/engine:</c>) for a profile.</summary>
    internal SafeEvpPKeyHandle LoadPrivateKey(string keyId, string? password, string parameter, string profile)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return EngineSetup.LoadPrivateKey(_handle, Id, _hasConfiguredPin, keyId, password, parameter, profile);
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information,
        Message = "engine {Id} ({Name}) loaded from {DynamicPath}, engine_config {ConfigFile}, controls {Controls}; default for {Algorithms}")]
    private static partial void LogLoaded(ILogger logger, string id, string name, string dynamicPath, string configFile, string controls, string algorithms);
}
