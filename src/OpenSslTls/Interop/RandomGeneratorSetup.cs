using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Interop;

/// <summary>The native half of <see cref="OpenSslRandom"/>: <c>RAND_set_DRBG_type</c> and what OpenSSL reports about its DRBG.</summary>
internal static unsafe class RandomGeneratorSetup
{
    /// <summary>The strength (bits) every DRBG <see cref="OpenSslRandom"/> offers has: AES-256, SHA-256.</summary>
    internal const uint ExpectedStrength = 256;

    /// <summary>
    /// Selects <paramref name="generator"/>'s DRBG for the process's default library context. It is first tried in a
    /// scratch library context, so a DRBG the loaded OpenSSL cannot instantiate is refused here rather than failing the
    /// first handshake. When OpenSSL's DRBG is already running, succeeds only if it is the same DRBG at full strength.
    /// </summary>
    internal static void Apply(TlsRandomGenerator generator)
    {
        (string? name, uint strength, List<OpenSslError> errors) = Probe(generator);
        if (name is null)
        {
            throw new TlsEngineException("rand_engine", $"{generator} cannot be instantiated by the loaded OpenSSL", errors);
        }

        ErrorQueue.Clear();
        if (SetType(null, generator))
        {
            return;
        }

        errors = ErrorQueue.DrainErrors();
        if (!errors.Exists(e => e.Reason.Contains("already instantiated", StringComparison.OrdinalIgnoreCase)))
        {
            throw new TlsEngineException("rand_engine", $"OpenSSL refused {generator}", errors);
        }

        // Too late to choose; reading the running DRBG is harmless now (it exists already).
        (string? running, uint runningStrength) = Describe(null);
        if (string.Equals(running, generator.Drbg, StringComparison.OrdinalIgnoreCase) && runningStrength >= ExpectedStrength)
        {
            return;
        }

        throw new TlsEngineException("rand_engine",
            $"'{generator.Setting}' came too late: OpenSSL's generator is already running ({running ?? "unknown"}, {runningStrength} bits) " +
            "because random bytes were generated before (building a profile or loading an engine does that); " +
            "configure rand_engine first, before any profile or engine", errors);
    }

    /// <summary>
    /// Returns the process's default library context to OpenSSL's own choice of DRBG (undoing <see cref="Apply"/>).
    /// Once the DRBG runs that is only possible when it is OpenSSL's default, a CTR-DRBG at full strength.
    /// </summary>
    internal static void Reset(TlsRandomGenerator generator)
    {
        ErrorQueue.Clear();

        // NULL strings clear the earlier choice; fails with "already instantiated" once the primary DRBG exists.
        if (Crypto.RAND_set_DRBG_type(null, null, null, null, null) == 1)
        {
            return;
        }

        List<OpenSslError> errors = ErrorQueue.DrainErrors();
        (string? running, uint strength) = Describe(null);
        if (running == "CTR-DRBG" && strength >= ExpectedStrength)
        {
            return;
        }

        throw new TlsEngineException("rand_engine",
            $"'{generator.Setting}' came too late: OpenSSL's generator is already running ({running ?? "unknown"}, {strength} bits), " +
            "chosen by an earlier rand_engine; restart to return to OpenSSL's default", errors);
    }

    /// <summary>
    /// Instantiates <paramref name="generator"/> in a fresh library context and generates a few bytes with it; returns
    /// the DRBG OpenSSL reports and its strength, or a null name and the errors. The default context is not touched.
    /// </summary>
    internal static (string? Name, uint Strength, List<OpenSslError> Errors) Probe(TlsRandomGenerator generator)
    {
        ErrorQueue.Clear();

        // A new, private library context (providers load into it on first use), freed in the finally block.
        OSSL_LIB_CTX* context = Crypto.OSSL_LIB_CTX_new();
        if (context == null)
        {
            return (null, 0, ErrorQueue.DrainErrors());
        }

        try
        {
            byte* sample = stackalloc byte[32];
            if (!SetType(context, generator) || Crypto.RAND_bytes_ex(context, sample, 32, 0) != 1)
            {
                return (null, 0, ErrorQueue.DrainErrors());
            }

            (string? name, uint strength) = Describe(context);
            return (name, strength, []);
        }
        finally
        {
            Crypto.OSSL_LIB_CTX_free(context);
            ErrorQueue.Clear();
        }
    }

    /// <summary>
    /// Makes OpenSSL's RAND front end settle on its method now (<c>RAND_get_rand_method</c> caches it), without
    /// instantiating the DRBG.
    /// </summary>
    internal static void PinMethod() => Crypto.RAND_get_rand_method();

    private static bool SetType(OSSL_LIB_CTX* context, TlsRandomGenerator generator)
    {
        fixed (byte* drbg = Utf8Z.From(generator.Drbg!))
        fixed (byte* cipher = generator.Cipher is null ? null : Utf8Z.From(generator.Cipher))
        fixed (byte* digest = generator.Digest is null ? null : Utf8Z.From(generator.Digest))
        {
            // Copies the strings; fails with "already instantiated" once the context's primary DRBG exists.
            return Crypto.RAND_set_DRBG_type(context, (sbyte*)drbg, null, (sbyte*)cipher, (sbyte*)digest) == 1;
        }
    }

    /// <summary>The public DRBG's algorithm name and strength. Instantiates the DRBG when it does not exist yet.</summary>
    private static (string? Name, uint Strength) Describe(OSSL_LIB_CTX* context)
    {
        // Borrowed (get0): the DRBG and its algorithm belong to the library context.
        EVP_RAND_CTX* drbg = Crypto.RAND_get0_public(context);
        if (drbg == null)
        {
            ErrorQueue.Clear();
            return (null, 0);
        }

        void* algorithm = Crypto.EVP_RAND_CTX_get0_rand(drbg);
        string? name = algorithm == null ? null : Utf8Z.ToString(Crypto.EVP_RAND_get0_name(algorithm));
        return (name, Crypto.EVP_RAND_get_strength(drbg));
    }
}
