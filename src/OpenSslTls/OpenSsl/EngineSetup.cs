using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;
using OpenSslTls.Interop;

namespace OpenSslTls.OpenSsl;

/// <summary>
/// The decisions of loading the global engine, over <see cref="EngineLoader"/>'s primitives: where the engine comes
/// from (OpenSSL's list, its engines directory, a <c>dynamic_path</c>, a built-in), which control commands it gets,
/// and which Kamailio parameter a failure is reported on (<see cref="TlsEngineException"/>, secrets masked).
/// </summary>
internal static class EngineSetup
{
    // The dynamic_path each engine id was loaded from by this library (under EngineLoader.Gate): the shared object stays loaded.
    private static readonly Dictionary<string, string> LoadedFrom = new(StringComparer.Ordinal);

    /// <summary>
    /// Finds or loads the engine and sends the configuration's control commands; returns the structural reference.
    /// With a <c>dynamic_path</c>, OpenSSL's <c>dynamic</c> engine loads the shared object the first time and adds it
    /// to OpenSSL's engine list; later loads (a reload, another test) reuse that instance and send it the controls again.
    /// </summary>
    internal static SafeEngineHandle Open(string engine, EngineConfigReader.EngineSection? section, IReadOnlyCollection<string> secrets)
    {
        lock (EngineLoader.Gate)
        {
            string id = section?.EngineId ?? engine;
            SafeEngineHandle handle = section?.DynamicPath is { } dynamicPath
                ? LoadDynamic(id, dynamicPath, $"in '{section.File}'", secrets)
                : FindById(id, section?.File, secrets);
            try
            {
                foreach (EngineConfigReader.EngineControl control in section?.Controls ?? [])
                {
                    // The message names the command, and its value only when it is not a secret (EngineControl.ToString).
                    Control(handle, control.Name, control.Value, "engine_config", $"engine '{id}' refused control command {control} (in '{section!.File}')", secrets);
                }

                return handle;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }
    }

    /// <summary>Takes the functional reference (<c>ENGINE_init</c>); released by <see cref="EngineLoader.Release"/>.</summary>
    internal static void Initialise(SafeEngineHandle handle, string id, IReadOnlyCollection<string> secrets)
    {
        try
        {
            EngineLoader.Init(handle, secrets);
        }
        catch (OpenSslException e)
        {
            throw new TlsEngineException("engine", $"engine '{id}' failed to initialise", e);
        }
    }

    /// <summary>Makes the engine the process-wide default for <paramref name="flags"/> (<c>ENGINE_set_default_string</c>).</summary>
    internal static void SetDefaults(SafeEngineHandle handle, string id, uint flags, string canonical)
    {
        if (flags == Crypto.ENGINE_METHOD_NONE)
        {
            return;
        }

        lock (EngineLoader.Gate)
        {
            try
            {
                EngineLoader.SetDefaultString(handle, canonical);
            }
            catch (OpenSslException e)
            {
                throw new TlsEngineException("engine_algorithms", $"engine '{id}' cannot be made the default for '{canonical}'", e);
            }

            // OpenSSL's RAND front end picks its method once and caches it, so a RAND default set now would be ignored:
            // hand the engine's generator to it explicitly.
            if ((flags & Crypto.ENGINE_METHOD_RAND) != 0 && EngineLoader.HasRand(handle))
            {
                try
                {
                    EngineLoader.SetRandEngine(handle);
                }
                catch (OpenSslException e)
                {
                    throw new TlsEngineException("engine_algorithms", $"engine '{id}' cannot be made the random generator", e);
                }
            }
        }
    }

    /// <summary>
    /// <c>ENGINE_load_private_key</c> for <c>/engine:&lt;key id&gt;</c>; throws <see cref="TlsProfileException"/> for
    /// <paramref name="parameter"/> of <paramref name="profile"/>, never showing the PIN or password.
    /// </summary>
    internal static SafeEvpPKeyHandle LoadPrivateKey(
        SafeEngineHandle handle, string engineId, bool engineHasPin, string keyId, string? password, string parameter, string profile)
    {
        string shown = SecretRedaction.RedactReference($"/engine:{keyId}");
        try
        {
            return EngineLoader.LoadPrivateKey(handle, keyId, password, shown);
        }
        catch (OpenSslException e)
        {
            string problem = e.Operation.StartsWith(EngineLoader.PinCallbackStep, StringComparison.Ordinal)
                ? $"{shown}: cannot create the PIN callback"
                : DescribeFailure(shown, engineId, engineHasPin || password is not null, e.Errors);
            throw new TlsProfileException(profile, parameter, problem, e);
        }
    }

    private static string DescribeFailure(string shown, string engineId, bool hasPin, IReadOnlyList<OpenSslError> errors)
    {
        bool Has(string text) => errors.Any(e => e.Reason.Contains(text, StringComparison.OrdinalIgnoreCase)
            || (e.Data?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false));

        if (Has("PIN incorrect") || Has("pin_incorrect") || Has("PIN_INCORRECT"))
        {
            return $"wrong PIN for {shown} (engine '{engineId}'; the PIN comes from engine_config or private_key_password)";
        }

        if (Has("PIN locked") || Has("pin_locked"))
        {
            return $"the token's PIN is locked; {shown} cannot be used (engine '{engineId}')";
        }

        bool notFound = Has("object not found") || Has("not found") || Has("could not find");
        if (!hasPin && (notFound || Has("UI")))
        {
            // Without a login a token shows no private keys, so "not found" here usually means "not logged in".
            return $"{shown} is not visible in engine '{engineId}' without logging in to the token, and no PIN is configured " +
                "(set PIN in engine_config or private_key_password; the engine never prompts), or no such key exists";
        }

        if (notFound)
        {
            return $"no private key {shown} in engine '{engineId}' (check the token and object label or id)";
        }

        return $"engine '{engineId}' could not load {shown}";
    }

    /// <summary>
    /// An engine named only by id: one already in OpenSSL's list, else <c>&lt;engines directory&gt;/&lt;id&gt;.so</c>
    /// loaded like a <c>dynamic_path</c> (once per process), else a built-in engine.
    /// </summary>
    private static SafeEngineHandle FindById(string id, string? file, IReadOnlyCollection<string> secrets)
    {
        // "dynamic" itself is the loader: its list entry must never be handed out (ById gives a private copy).
        if (id != "dynamic")
        {
            if (EngineLoader.FindInList(id) is { } listed)
            {
                return listed;
            }

            if (EnginesDirectoryFile(id) is { } path)
            {
                return LoadDynamic(id, path, "from OpenSSL's engines directory", secrets);
            }
        }

        return ById(id, file);
    }

    /// <summary><c>$OPENSSL_ENGINES/&lt;id&gt;.so</c> (else OpenSSL's compiled-in ENGINESDIR) when it exists.</summary>
    private static string? EnginesDirectoryFile(string id)
    {
        if (id.Length == 0 || id.IndexOfAny(['/', '\\']) >= 0 || id.Contains("..", StringComparison.Ordinal))
        {
            return null;
        }

        string? directory = Environment.GetEnvironmentVariable("OPENSSL_ENGINES");
        if (string.IsNullOrEmpty(directory))
        {
            directory = EngineLoader.CompiledEnginesDirectory();
        }

        string? path = directory is null ? null : Path.Combine(directory, id + ".so");
        return path is not null && File.Exists(path) ? path : null;
    }

    private static SafeEngineHandle ById(string id, string? file)
    {
        try
        {
            return EngineLoader.ById(id);
        }
        catch (OpenSslException e)
        {
            string where = file is null ? "engine_config is NONE" : $"'{file}' gives no dynamic_path for it";
            throw new TlsEngineException("engine", $"unknown engine '{id}': not built into OpenSSL, not found in its engines directory, and {where}", e);
        }
    }

    /// <summary>Loads engine <paramref name="id"/> from the shared object <paramref name="path"/>; <paramref name="origin"/> says where the path came from, for messages.</summary>
    private static SafeEngineHandle LoadDynamic(string id, string path, string origin, IReadOnlyCollection<string> secrets)
    {
        if (!File.Exists(path))
        {
            throw new TlsEngineException("engine_config", $"dynamic_path '{path}' of engine '{id}' ({origin}) does not exist");
        }

        // An engine's shared object is loaded once per process and then stays in OpenSSL's engine list, as engines
        // loaded by openssl.cnf do: engines such as libp11's pkcs11 cannot be bound a second time while their first
        // instance lives, and they keep internal references to themselves (cached keys, logins) until the process exits.
        SafeEngineHandle? listed = EngineLoader.FindInList(id);
        if (listed is not null)
        {
            if (LoadedFrom.TryGetValue(id, out string? previous) && previous != path)
            {
                listed.Dispose();
                throw new TlsEngineException("engine_config",
                    $"engine '{id}' is already loaded in this process from '{previous}'; engines are process-wide, so its dynamic_path '{path}' ({origin}) needs a restart");
            }

            return listed;
        }

        EngineLoader.InitDynamic();
        SafeEngineHandle handle = ById("dynamic", null);
        try
        {
            // SO_PATH, ID and LOAD turn this private instance of the dynamic engine into the loaded engine (same
            // ENGINE object, so the handle's structural reference now is the loaded engine's). LIST_ADD=1 makes
            // ENGINE_add give OpenSSL's list its own structural reference, which keeps the engine for later loads.
            Control(handle, "SO_PATH", path, "engine_config", $"cannot use dynamic_path '{path}' of engine '{id}'", secrets);
            Control(handle, "ID", id, "engine_config", $"cannot set the id '{id}' of the dynamic engine", secrets);
            Control(handle, "LIST_ADD", "1", "engine_config", $"cannot add engine '{id}' to OpenSSL's engine list", secrets);
            Control(handle, "LOAD", null, "engine", $"cannot load engine '{id}' from '{path}' ({origin})", secrets);
            LoadedFrom[id] = path;
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void Control(SafeEngineHandle handle, string name, string? value, string parameter, string problem, IReadOnlyCollection<string> secrets)
    {
        try
        {
            EngineLoader.Control(handle, name, value, secrets);
        }
        catch (OpenSslException e)
        {
            throw new TlsEngineException(parameter, problem, e);
        }
    }
}
