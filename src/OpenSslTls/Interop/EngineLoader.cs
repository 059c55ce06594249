using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Interop;

/// <summary>
/// The native half of <see cref="OpenSslEngine"/>. An ENGINE has two kinds of reference: a structural one
/// (<c>ENGINE_by_id</c>, released by <c>ENGINE_free</c>), which keeps the object alive, and a functional one
/// (<c>ENGINE_init</c>, released by <c>ENGINE_finish</c>), which keeps it initialised and usable. The safe handle
/// owns the structural reference; the functional one is taken and dropped here, explicitly.
/// </summary>
internal static unsafe class EngineLoader
{
    private const int Mandatory = 0;

    // Engines are process-global in OpenSSL (the engine list, the default-method tables, the dynamic loader): one
    // load, default change or release at a time keeps their sequences (by_id, ctrl, init, set_default) unmixed.
    private static readonly Lock Gate = new();

    // The dynamic_path each engine id was loaded from by this library (under Gate): the shared object stays loaded.
    private static readonly Dictionary<string, string> LoadedFrom = new(StringComparer.Ordinal);

    /// <summary>
    /// Finds or loads the engine and sends the configuration's control commands; returns the structural reference.
    /// With a <c>dynamic_path</c>, OpenSSL's <c>dynamic</c> engine loads the shared object the first time and adds it
    /// to OpenSSL's engine list; later loads (a reload, another test) reuse that instance and send it the controls again.
    /// </summary>
    internal static SafeEngineHandle Open(string engine, EngineConfigReader.EngineSection? section, IReadOnlyCollection<string> secrets)
    {
        lock (Gate)
        {
            ErrorQueue.Clear();
            string id = section?.EngineId ?? engine;
            SafeEngineHandle handle = section?.DynamicPath is { } dynamicPath
                ? LoadDynamic(id, dynamicPath, $"in '{section.File}'", secrets)
                : FindById(id, section?.File, secrets);
            try
            {
                foreach (EngineConfigReader.EngineControl control in section?.Controls ?? [])
                {
                    SendControl(handle, id, control, section!.File, secrets);
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

    /// <summary>Takes the functional reference (<c>ENGINE_init</c>); the caller releases it with <see cref="Release"/>.</summary>
    internal static void Initialise(SafeEngineHandle handle, string id, IReadOnlyCollection<string> secrets)
    {
        lock (Gate)
        {
            ErrorQueue.Clear();

            // ENGINE_init adds a functional reference (and initialises the engine on the first one); it does not
            // change the structural reference the handle owns.
            if (Crypto.ENGINE_init(handle.Pointer) != 1)
            {
                throw new TlsEngineException("engine", $"engine '{id}' failed to initialise", Scrubbed(secrets));
            }
        }
    }

    /// <summary>Makes the engine the process-wide default for <paramref name="flags"/> (<c>ENGINE_set_default_string</c>).</summary>
    internal static void SetDefaults(SafeEngineHandle handle, string id, uint flags, string canonical)
    {
        if (flags == Crypto.ENGINE_METHOD_NONE)
        {
            return;
        }

        lock (Gate)
        {
            ErrorQueue.Clear();
            fixed (byte* list = Utf8Z.From(canonical))
            {
                // The default tables take their own functional references; Release unregisters them again.
                if (Crypto.ENGINE_set_default_string(handle.Pointer, (sbyte*)list) != 1)
                {
                    throw new TlsEngineException("engine_algorithms", $"engine '{id}' cannot be made the default for '{canonical}'", ErrorQueue.DrainErrors());
                }
            }

            // OpenSSL's RAND front end picks its method once and caches it, so a RAND default set now would be ignored:
            // hand the engine's generator to it explicitly (RAND_set_rand_engine takes its own functional reference).
            if ((flags & Crypto.ENGINE_METHOD_RAND) != 0 && Crypto.ENGINE_get_RAND(handle.Pointer) != null
                && Crypto.RAND_set_rand_engine(handle.Pointer) != 1)
            {
                throw new TlsEngineException("engine_algorithms", $"engine '{id}' cannot be made the random generator", ErrorQueue.DrainErrors());
            }
        }
    }

    /// <summary>
    /// Undoes <see cref="SetDefaults"/> (the tables drop their functional references) and drops the functional
    /// reference of <see cref="Initialise"/> (<c>ENGINE_finish</c>). The structural reference goes with the handle.
    /// </summary>
    internal static void Release(SafeEngineHandle handle, uint flags, bool initialised)
    {
        lock (Gate)
        {
            ENGINE* engine = handle.Pointer;
            if ((flags & Crypto.ENGINE_METHOD_RAND) != 0)
            {
                if (Crypto.RAND_get_rand_method() == Crypto.ENGINE_get_RAND(engine) && Crypto.ENGINE_get_RAND(engine) != null)
                {
                    // Releases the functional reference RAND_set_rand_engine took and returns to OpenSSL's own generator.
                    Crypto.RAND_set_rand_method(Crypto.RAND_OpenSSL());
                }

                Crypto.ENGINE_unregister_RAND(engine);
            }

            // Each unregister removes the engine from one default table and finishes the table's functional reference.
            if ((flags & Crypto.ENGINE_METHOD_RSA) != 0)
            {
                Crypto.ENGINE_unregister_RSA(engine);
            }

            if ((flags & Crypto.ENGINE_METHOD_DSA) != 0)
            {
                Crypto.ENGINE_unregister_DSA(engine);
            }

            if ((flags & Crypto.ENGINE_METHOD_DH) != 0)
            {
                Crypto.ENGINE_unregister_DH(engine);
            }

            if ((flags & Crypto.ENGINE_METHOD_EC) != 0)
            {
                Crypto.ENGINE_unregister_EC(engine);
            }

            if ((flags & Crypto.ENGINE_METHOD_CIPHERS) != 0)
            {
                Crypto.ENGINE_unregister_ciphers(engine);
            }

            if ((flags & Crypto.ENGINE_METHOD_DIGESTS) != 0)
            {
                Crypto.ENGINE_unregister_digests(engine);
            }

            if ((flags & Crypto.ENGINE_METHOD_PKEY_METHS) != 0)
            {
                Crypto.ENGINE_unregister_pkey_meths(engine);
            }

            if ((flags & Crypto.ENGINE_METHOD_PKEY_ASN1_METHS) != 0)
            {
                Crypto.ENGINE_unregister_pkey_asn1_meths(engine);
            }

            if (initialised)
            {
                // Drops our functional reference. Keys loaded from the engine hold their own, so the engine stays
                // initialised until the last profile using one of its keys is gone.
                Crypto.ENGINE_finish(engine);
            }

            ErrorQueue.Clear();
        }
    }

    /// <summary>The engine's descriptive name (<c>ENGINE_get_name</c>), or its id.</summary>
    internal static string GetName(SafeEngineHandle handle, string id) => Utf8Z.ToString(Crypto.ENGINE_get_name(handle.Pointer)) ?? id;

    /// <summary>The id of the engine that is the process-wide default for RSA, EC or public-key methods, or null (diagnostics and tests).</summary>
    internal static string? DefaultEngineId(uint method)
    {
        lock (Gate)
        {
            // The ENGINE_get_default_* and ENGINE_get_pkey_meth_engine calls return a functional reference (or
            // null); it is finished at once, since only the id is wanted.
            ENGINE* engine = method switch
            {
                Crypto.ENGINE_METHOD_RSA => Crypto.ENGINE_get_default_RSA(),
                Crypto.ENGINE_METHOD_EC => Crypto.ENGINE_get_default_EC(),
                Crypto.ENGINE_METHOD_PKEY_METHS => Crypto.ENGINE_get_pkey_meth_engine(Crypto.EVP_PKEY_RSA),
                _ => throw new ArgumentOutOfRangeException(nameof(method)),
            };
            if (engine == null)
            {
                ErrorQueue.Clear();
                return null;
            }

            string? id = Utf8Z.ToString(Crypto.ENGINE_get_id(engine));
            Crypto.ENGINE_finish(engine);
            return id;
        }
    }

    /// <summary>
    /// Diagnostics for the private key of <paramref name="context"/>: whether OpenSSL holds its private material in
    /// this process's memory (false for a key whose operations run in a token), and the name of the method performing
    /// its operations when that is not OpenSSL's own (for example libp11's RSA method).
    /// </summary>
    internal static (bool InMemory, string? Method) DescribeKey(SafeSslContextHandle context)
    {
        bool added = false;
        try
        {
            context.DangerousAddRef(ref added);

            // All borrowed (get0): the key belongs to the context, its RSA/EC object and methods to the key.
            EVP_PKEY* key = Ssl.SSL_CTX_get0_privatekey(context.Pointer);
            if (key == null || Crypto.EVP_PKEY_get0_provider(key) != null)
            {
                // No key, or a provider-native key: OpenSSL's own implementation with the material in memory.
                // (Asking a provider key for its RSA/EC object would make OpenSSL build a legacy copy.)
                return (key != null, null);
            }

            int type = Crypto.EVP_PKEY_get_base_id(key);
            RSA* rsa = type == Crypto.EVP_PKEY_RSA ? Crypto.EVP_PKEY_get0_RSA(key) : null;
            EC_KEY* ec = type == Crypto.EVP_PKEY_EC ? Crypto.EVP_PKEY_get0_EC_KEY(key) : null;
            if (rsa != null)
            {
                RSA_METHOD* method = Crypto.RSA_get_method(rsa);
                return (Crypto.RSA_get0_d(rsa) != null, method == null ? null : Utf8Z.ToString(Crypto.RSA_meth_get0_name(method)));
            }

            if (ec != null)
            {
                // PKCS#11 engines may set a placeholder private scalar (OpenSSL's EC code insists on one); what
                // matters is whose method signs: OpenSSL's uses the scalar in memory, an engine's asks the token.
                bool own = Crypto.EC_KEY_get_method(ec) == Crypto.EC_KEY_OpenSSL();
                return (own && Crypto.EC_KEY_get0_private_key(ec) != null, own ? null : "engine EC_KEY method");
            }

            return (true, null);
        }
        finally
        {
            ErrorQueue.Clear();
            if (added)
            {
                context.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// <c>ENGINE_load_private_key</c> for <c>/engine:&lt;key id&gt;</c>. A PIN the engine asks for is answered from
    /// <paramref name="password"/> (<c>private_key_password</c>) through a UI method that never prompts on a terminal;
    /// a PIN in the engine configuration takes precedence inside the engine.
    /// </summary>
    internal static SafeEvpPKeyHandle LoadPrivateKey(
        SafeEngineHandle handle, string engineId, bool engineHasPin, string keyId, string? password, string parameter, string profile)
    {
        string shown = SecretRedaction.RedactReference($"/engine:{keyId}");
        string[] secrets = password is null ? [] : [password];
        byte[]? secret = password is null ? null : Utf8Z.From(password);
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            ErrorQueue.Clear();

            // A new UI method, destroyed in the finally block; it answers every prompt with the password (or refuses).
            UI_METHOD* ui = Crypto.UI_UTIL_wrap_read_pem_callback(&PrivateKeyLoader.PasswordCallback, 0);
            if (ui == null)
            {
                throw new TlsProfileException(profile, parameter, $"{shown}: cannot create the PIN callback", ErrorQueue.DrainErrors());
            }

            try
            {
                fixed (byte* id = Utf8Z.From(keyId))
                fixed (byte* secretBytes = secret)
                {
                    // Returns a new reference to a key whose operations run in the engine; it holds its own functional
                    // reference to the engine, so the key outlives a disposed OpenSslEngine safely.
                    EVP_PKEY* key;
                    lock (Gate)
                    {
                        key = Crypto.ENGINE_load_private_key(handle.Pointer, (sbyte*)id, ui, secretBytes);
                    }

                    if (key == null)
                    {
                        List<OpenSslError> errors = SecretRedaction.Scrub(ErrorQueue.DrainErrors(), secrets);
                        throw new TlsProfileException(profile, parameter, DescribeFailure(shown, engineId, engineHasPin || password is not null, errors), errors);
                    }

                    return SafeEvpPKeyHandle.TakeOwnership(key, $"loading {shown}");
                }
            }
            finally
            {
                Crypto.UI_destroy_method(ui);
            }
        }
        finally
        {
            if (secret is not null)
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
            }

            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static string DescribeFailure(string shown, string engineId, bool hasPin, List<OpenSslError> errors)
    {
        bool Has(string text) => errors.Exists(e => e.Reason.Contains(text, StringComparison.OrdinalIgnoreCase)
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
            if (FindInList(id) is { } listed)
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
            // OpenSSL_version(OPENSSL_ENGINES_DIR) reads: ENGINESDIR: "/usr/lib/x86_64-linux-gnu/engines-3"
            string text = Utf8Z.ToString(Crypto.OpenSSL_version(Crypto.OPENSSL_ENGINES_DIR)) ?? string.Empty;
            int first = text.IndexOf('"', StringComparison.Ordinal);
            int last = text.LastIndexOf('"');
            directory = last > first ? text[(first + 1)..last] : null;
        }

        string? path = directory is null ? null : Path.Combine(directory, id + ".so");
        return path is not null && File.Exists(path) ? path : null;
    }

    private static SafeEngineHandle ById(string id, string? file)
    {
        fixed (byte* text = Utf8Z.From(id))
        {
            // ENGINE_by_id returns a new structural reference (for "dynamic" a private copy), which the handle owns.
            // The built-in engines join OpenSSL's list only on request, so they are added, and the lookup retried,
            // only when the first one fails.
            Crypto.ERR_set_mark();
            ENGINE* engine = Crypto.ENGINE_by_id((sbyte*)text);
            if (engine == null)
            {
                Crypto.ERR_pop_to_mark();
                Crypto.ENGINE_load_builtin_engines();
                engine = Crypto.ENGINE_by_id((sbyte*)text);
            }
            else
            {
                Crypto.ERR_pop_to_mark();
            }

            if (engine == null)
            {
                string where = file is null ? "engine_config is NONE" : $"'{file}' gives no dynamic_path for it";
                throw new TlsEngineException("engine", $"unknown engine '{id}': not built into OpenSSL, not found in its engines directory, and {where}", ErrorQueue.DrainErrors());
            }

            return SafeEngineHandle.TakeOwnership(engine, $"ENGINE_by_id({id})");
        }
    }

    /// <summary>Loads engine <paramref name="id"/> from the shared object <paramref name="path"/>; <paramref name="origin"/> says where the path came from, for messages.</summary>
    private static SafeEngineHandle LoadDynamic(string id, string path, string origin, IReadOnlyCollection<string> secrets)
    {
        if (!File.Exists(path))
        {
            throw new TlsEngineException("engine_config", $"dynamic_path '{path}' of engine '{id}' ({origin}) does not exist", []);
        }

        // An engine's shared object is loaded once per process and then stays in OpenSSL's engine list, as engines
        // loaded by openssl.cnf do: engines such as libp11's pkcs11 cannot be bound a second time while their first
        // instance lives, and they keep internal references to themselves (cached keys, logins) until the process exits.
        SafeEngineHandle? listed = FindInList(id);
        if (listed is not null)
        {
            if (LoadedFrom.TryGetValue(id, out string? previous) && previous != path)
            {
                listed.Dispose();
                throw new TlsEngineException("engine_config",
                    $"engine '{id}' is already loaded in this process from '{previous}'; engines are process-wide, so its dynamic_path '{path}' ({origin}) needs a restart", []);
            }

            return listed;
        }

        // The dynamic engine joins OpenSSL's list with the library's default initialisation flags.
        Crypto.OPENSSL_init_crypto((ulong)Crypto.OPENSSL_INIT_ENGINE_DYNAMIC, null);
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

    /// <summary>The engine with <paramref name="id"/> in OpenSSL's engine list (a new structural reference), or null; never loads one.</summary>
    private static SafeEngineHandle? FindInList(string id)
    {
        // ENGINE_get_first returns a structural reference; ENGINE_get_next releases the one it is given and returns
        // the next with a new reference; the loop ends holding only the engine it stops on (or nothing).
        ENGINE* engine = Crypto.ENGINE_get_first();
        for (int i = 0; engine != null && i < 1000; i++)
        {
            if (Utf8Z.ToString(Crypto.ENGINE_get_id(engine)) == id)
            {
                return SafeEngineHandle.TakeOwnership(engine, $"ENGINE_get_next({id})");
            }

            engine = Crypto.ENGINE_get_next(engine);
        }

        if (engine != null)
        {
            Crypto.ENGINE_free(engine);
        }

        ErrorQueue.Clear();
        return null;
    }

    private static void SendControl(SafeEngineHandle handle, string id, EngineConfigReader.EngineControl control, string file, IReadOnlyCollection<string> secrets)
    {
        // The message names the command, and its value only when it is not a secret (EngineControl.ToString).
        Control(handle, control.Name, control.Value, "engine_config", $"engine '{id}' refused control command {control} (in '{file}')", secrets);
    }

    private static void Control(SafeEngineHandle handle, string name, string? value, string parameter, string problem, IReadOnlyCollection<string> secrets)
    {
        byte[]? valueBytes = value is null ? null : Utf8Z.From(value);
        try
        {
            fixed (byte* nameText = Utf8Z.From(name))
            fixed (byte* valueText = valueBytes)
            {
                if (Crypto.ENGINE_ctrl_cmd_string(handle.Pointer, (sbyte*)nameText, (sbyte*)valueText, Mandatory) != 1)
                {
                    throw new TlsEngineException(parameter, problem, Scrubbed(secrets));
                }
            }
        }
        finally
        {
            if (valueBytes is not null)
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(valueBytes);
            }
        }
    }

    private static List<OpenSslError> Scrubbed(IReadOnlyCollection<string> secrets) => SecretRedaction.Scrub(ErrorQueue.DrainErrors(), secrets);
}
