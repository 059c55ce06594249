using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// The native primitives of the global engine (the OpenSsl layer composes them and names the parameter at fault).
/// An ENGINE has two kinds of reference: a structural one (<c>ENGINE_by_id</c>, released by <c>ENGINE_free</c>),
/// which keeps the object alive, and a functional one (<c>ENGINE_init</c>, released by <c>ENGINE_finish</c>), which
/// keeps it initialised and usable. The safe handle owns the structural reference; the functional one is taken and
/// dropped here, explicitly. Failures throw <see cref="OpenSslException"/>, with secrets masked in OpenSSL's texts.
/// </summary>
internal static unsafe class EngineLoader
{
    private const int Mandatory = 0;

    /// <summary>The operation of the <see cref="OpenSslException"/> thrown when the PIN callback cannot be made.</summary>
    internal const string PinCallbackStep = "UI_UTIL_wrap_read_pem_callback";

    /// <summary>
    /// Engines are process-global in OpenSSL (the engine list, the default-method tables, the dynamic loader): one
    /// load, default change or release at a time keeps their sequences (by_id, ctrl, init, set_default) unmixed.
    /// Callers composing a sequence hold it throughout (it is reentrant).
    /// </summary>
    internal static readonly Lock Gate = new();

    /// <summary>Takes the functional reference (<c>ENGINE_init</c>); the caller releases it with <see cref="Release"/>.</summary>
    internal static void Init(SafeEngineHandle handle, IReadOnlyCollection<string> secrets)
    {
        lock (Gate)
        {
            ErrorQueue.Clear();

            // ENGINE_init adds a functional reference (and initialises the engine on the first one); it does not
            // change the structural reference the handle owns.
            if (Crypto.ENGINE_init(handle.Pointer) != 1)
            {
                throw SecretRedaction.DrainScrubbed("ENGINE_init", secrets);
            }

            // The first initialisation of an engine takes one more functional reference, kept until the process
            // exits, so the engine's finish function never runs while the process may still hold its keys. libp11
            // 0.4.13 frees its RSA and EC methods when its engine is finished (the last functional reference goes,
            // at OpenSslEngine.Dispose), although keys it made still point at them; freeing such a key later (a
            // disposed profile's SSL_CTX_free) then calls through freed memory. Engines stay loaded for the life of
            // the process anyway (EngineSetup keeps them in OpenSSL's list).
            ENGINE* engine = handle.Pointer;
            if (!KeptInitialised.Contains((nint)engine))
            {
                if (Crypto.ENGINE_init(engine) != 1)
                {
                    Crypto.ENGINE_finish(engine);
                    throw SecretRedaction.DrainScrubbed("ENGINE_init", secrets);
                }

                KeptInitialised.Add((nint)engine);
            }
        }
    }

    // The engines (ENGINE objects, under Gate) holding the process-lifetime functional reference Init takes once.
    private static readonly HashSet<nint> KeptInitialised = [];

    /// <summary>Makes the engine the process-wide default for <paramref name="list"/> (<c>ENGINE_set_default_string</c>).</summary>
    internal static void SetDefaultString(SafeEngineHandle handle, string list)
    {
        lock (Gate)
        {
            ErrorQueue.Clear();
            fixed (byte* text = Utf8Z.From(list))
            {
                // The default tables take their own functional references; Release unregisters them again.
                if (Crypto.ENGINE_set_default_string(handle.Pointer, (sbyte*)text) != 1)
                {
                    throw ErrorQueue.Drain("ENGINE_set_default_string");
                }
            }
        }
    }

    /// <summary>Whether the engine has a random generator (<c>ENGINE_get_RAND</c>).</summary>
    internal static bool HasRand(SafeEngineHandle handle) => Crypto.ENGINE_get_RAND(handle.Pointer) != null;

    /// <summary>
    /// Hands the engine's generator to OpenSSL's RAND front end (<c>RAND_set_rand_engine</c>), which picks its method
    /// once and caches it, so a RAND default set by <see cref="SetDefaultString"/> alone would be ignored.
    /// </summary>
    internal static void SetRandEngine(SafeEngineHandle handle)
    {
        lock (Gate)
        {
            ErrorQueue.Clear();

            // RAND_set_rand_engine takes its own functional reference; Release returns to OpenSSL's generator.
            if (Crypto.RAND_set_rand_engine(handle.Pointer) != 1)
            {
                throw ErrorQueue.Drain("RAND_set_rand_engine");
            }
        }
    }

    /// <summary>
    /// Undoes <see cref="SetDefaultString"/> and <see cref="SetRandEngine"/> (the tables drop their functional
    /// references) and drops the functional reference of <see cref="Init"/> (<c>ENGINE_finish</c>). The structural
    /// reference goes with the handle.
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
    /// Whether the engine offers an RSA or EC method now (<c>ENGINE_get_RSA</c>, <c>ENGINE_get_EC</c>; diagnostics and
    /// tests). <c>ENGINE_set_default_string</c> registers only the methods an engine offers when it is called, and
    /// libp11 0.4.13 adds its RSA and EC methods only when it first loads a key.
    /// </summary>
    internal static bool OffersMethod(SafeEngineHandle handle, uint method)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);

            // Both borrowed: the methods belong to the engine.
            return method switch
            {
                Crypto.ENGINE_METHOD_RSA => Crypto.ENGINE_get_RSA(handle.Pointer) != null,
                Crypto.ENGINE_METHOD_EC => Crypto.ENGINE_get_EC(handle.Pointer) != null,
                _ => throw new ArgumentOutOfRangeException(nameof(method)),
            };
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
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
    /// <c>ENGINE_load_private_key</c>. A PIN the engine asks for is answered from <paramref name="password"/> through a
    /// UI method that never prompts on a terminal; a PIN in the engine configuration takes precedence inside the engine.
    /// Throws <see cref="OpenSslException"/> (the password masked in OpenSSL's texts).
    /// </summary>
    internal static SafeEvpPKeyHandle LoadPrivateKey(SafeEngineHandle handle, string keyId, string? password, string shown)
    {
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
                throw ErrorQueue.Drain(PinCallbackStep);
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
                        throw SecretRedaction.DrainScrubbed("ENGINE_load_private_key", secrets);
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

    /// <summary>
    /// A new structural reference to engine <paramref name="id"/> (<c>ENGINE_by_id</c>; for <c>dynamic</c> a private
    /// copy), adding OpenSSL's built-in engines to its list when the first lookup fails. Throws <see cref="OpenSslException"/>
    /// when there is no such engine.
    /// </summary>
    internal static SafeEngineHandle ById(string id)
    {
        ErrorQueue.Clear();
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
                throw ErrorQueue.Drain($"ENGINE_by_id({id})");
            }

            return SafeEngineHandle.TakeOwnership(engine, $"ENGINE_by_id({id})");
        }
    }

    /// <summary>The engine with <paramref name="id"/> in OpenSSL's engine list (a new structural reference), or null; never loads one.</summary>
    internal static SafeEngineHandle? FindInList(string id)
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

    /// <summary>Prepares OpenSSL's <c>dynamic</c> engine (it joins OpenSSL's list with the library's default initialisation flags).</summary>
    internal static void InitDynamic() => Crypto.OPENSSL_init_crypto((ulong)Crypto.OPENSSL_INIT_ENGINE_DYNAMIC, null);

    /// <summary>OpenSSL's compiled-in engines directory (<c>OpenSSL_version(OPENSSL_ENGINES_DIR)</c>), or null.</summary>
    internal static string? CompiledEnginesDirectory()
    {
        // OpenSSL_version(OPENSSL_ENGINES_DIR) reads: ENGINESDIR: "/usr/lib/x86_64-linux-gnu/engines-3"
        string text = Utf8Z.ToString(Crypto.OpenSSL_version(Crypto.OPENSSL_ENGINES_DIR)) ?? string.Empty;
        int first = text.IndexOf('"', StringComparison.Ordinal);
        int last = text.LastIndexOf('"');
        return last > first ? text[(first + 1)..last] : null;
    }

    /// <summary>
    /// Sends one control command (<c>ENGINE_ctrl_cmd_string</c>, mandatory). Throws <see cref="OpenSslException"/>
    /// naming the command only, with <paramref name="secrets"/> masked in OpenSSL's texts.
    /// </summary>
    internal static void Control(SafeEngineHandle handle, string name, string? value, IReadOnlyCollection<string> secrets)
    {
        byte[]? valueBytes = value is null ? null : Utf8Z.From(value);
        try
        {
            ErrorQueue.Clear();
            fixed (byte* nameText = Utf8Z.From(name))
            fixed (byte* valueText = valueBytes)
            {
                if (Crypto.ENGINE_ctrl_cmd_string(handle.Pointer, (sbyte*)nameText, (sbyte*)valueText, Mandatory) != 1)
                {
                    throw SecretRedaction.DrainScrubbed($"ENGINE_ctrl_cmd_string({name})", secrets);
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
}
