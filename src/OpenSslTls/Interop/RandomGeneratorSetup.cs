using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// The native primitives of <c>rand_engine</c>: <c>RAND_set_DRBG_type</c> and what OpenSSL reports about its DRBG.
/// The decisions (which DRBG, whether a running one is acceptable) are the OpenSsl layer's.
/// </summary>
internal static unsafe class RandomGeneratorSetup
{
    /// <summary>
    /// Instantiates the DRBG in a fresh library context and generates a few bytes with it; returns the DRBG OpenSSL
    /// reports and its strength, or a null name and what OpenSSL reported. The default context is not touched.
    /// </summary>
    internal static (string? Name, uint Strength, OpenSslException? Error) Probe(string drbg, string? cipher, string? digest)
    {
        ErrorQueue.Clear();

        // A new, private library context (providers load into it on first use), freed in the finally block.
        OSSL_LIB_CTX* context = Crypto.OSSL_LIB_CTX_new();
        if (context == null)
        {
            return (null, 0, ErrorQueue.Drain("OSSL_LIB_CTX_new"));
        }

        try
        {
            byte* sample = stackalloc byte[32];
            if (!SetType(context, drbg, cipher, digest) || Crypto.RAND_bytes_ex(context, sample, 32, 0) != 1)
            {
                return (null, 0, ErrorQueue.Drain($"instantiating {drbg} in a scratch library context"));
            }

            (string? name, uint strength) = Describe(context);
            return (name, strength, null);
        }
        finally
        {
            Crypto.OSSL_LIB_CTX_free(context);
            ErrorQueue.Clear();
        }
    }

    /// <summary>
    /// Selects the DRBG for the process's default library context; throws <see cref="OpenSslException"/> when OpenSSL
    /// refuses (with "already instantiated" once the primary DRBG exists).
    /// </summary>
    internal static void SetDefaultType(string drbg, string? cipher, string? digest)
    {
        ErrorQueue.Clear();
        if (!SetType(null, drbg, cipher, digest))
        {
            throw ErrorQueue.Drain("RAND_set_DRBG_type");
        }
    }

    /// <summary>
    /// Returns the default library context to OpenSSL's own choice of DRBG; throws <see cref="OpenSslException"/> when
    /// OpenSSL refuses (once the primary DRBG exists).
    /// </summary>
    internal static void ResetDefaultType()
    {
        ErrorQueue.Clear();

        // NULL strings clear the earlier choice; fails with "already instantiated" once the primary DRBG exists.
        if (Crypto.RAND_set_DRBG_type(null, null, null, null, null) != 1)
        {
            throw ErrorQueue.Drain("RAND_set_DRBG_type(NULL)");
        }
    }

    /// <summary>The default context's public DRBG: algorithm name and strength. Instantiates the DRBG when it does not exist yet.</summary>
    internal static (string? Name, uint Strength) DescribeDefault() => Describe(null);

    /// <summary>
    /// Makes OpenSSL's RAND front end settle on its method now (<c>RAND_get_rand_method</c> caches it), without
    /// instantiating the DRBG.
    /// </summary>
    internal static void PinMethod() => Crypto.RAND_get_rand_method();

    private static bool SetType(OSSL_LIB_CTX* context, string drbg, string? cipher, string? digest)
    {
        fixed (byte* drbgText = Utf8Z.From(drbg))
        fixed (byte* cipherText = cipher is null ? null : Utf8Z.From(cipher))
        fixed (byte* digestText = digest is null ? null : Utf8Z.From(digest))
        {
            // Copies the strings; fails with "already instantiated" once the context's primary DRBG exists.
            return Crypto.RAND_set_DRBG_type(context, (sbyte*)drbgText, null, (sbyte*)cipherText, (sbyte*)digestText) == 1;
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

        EVP_RAND* algorithm = Crypto.EVP_RAND_CTX_get0_rand(drbg);
        string? name = algorithm == null ? null : Utf8Z.ToString(Crypto.EVP_RAND_get0_name(algorithm));
        return (name, Crypto.EVP_RAND_get_strength(drbg));
    }
}
