using OpenSslTls.Interop;
using OpenSslTls.Errors;

namespace OpenSslTls.OpenSsl;

/// <summary>
/// Kamailio's <c>rand_engine</c> on OpenSSL 3. Kamailio replaced libssl's generator because OpenSSL 1.1's was not
/// safe across its forked workers; OpenSSL 3's default DRBG is thread-safe and this library runs in one process, so:
/// <list type="bullet">
/// <item><c>cryptorand</c> and <c>kxlibssl</c> (and unset) keep OpenSSL's default generator;</item>
/// <item><c>krand</c> and <c>fastrand</c> are refused: they are not cryptographically secure;</item>
/// <item><c>CTR-DRBG</c> (AES-256-CTR), <c>HASH-DRBG</c> (SHA256) and <c>HMAC-DRBG</c> (SHA256) select that OpenSSL
/// DRBG with <c>RAND_set_DRBG_type</c>.</item>
/// </list>
/// OpenSSL fixes its DRBG when it first generates random bytes, which building any profile (<c>SSL_CTX_new</c>) or
/// loading an engine does: call <see cref="Configure"/> first, at start-up. Later, only the generator already
/// running is accepted; any other gives a <see cref="TlsEngineException"/> that says so.
/// </summary>
public static class OpenSslRandom
{
    /// <summary>The strength (bits) every DRBG offered here has: AES-256, SHA-256.</summary>
    internal const uint ExpectedStrength = 256;

    private static readonly Lock Gate = new();
    private static TlsRandomGenerator s_current = new(null, null, null, null);

    /// <summary>The generator in effect (what the options view shows for <c>rand_engine</c>).</summary>
    public static TlsRandomGenerator Current
    {
        get
        {
            lock (Gate)
            {
                return s_current;
            }
        }
    }

    /// <summary>
    /// Checks a <c>rand_engine</c> value without applying it: returns the generator it selects, or throws
    /// <see cref="TlsEngineException"/> (parameter <c>rand_engine</c>) for <c>krand</c>, <c>fastrand</c> and unknown values.
    /// Names are case-insensitive.
    /// </summary>
    public static TlsRandomGenerator Parse(string? randEngine)
    {
        string? setting = string.IsNullOrWhiteSpace(randEngine) ? null : randEngine.Trim();
        switch (setting?.ToUpperInvariant())
        {
            case null:
            case "CRYPTORAND":
            case "KXLIBSSL":
                return new TlsRandomGenerator(setting, null, null, null);
            case "KRAND":
            case "FASTRAND":
                throw new TlsEngineException("rand_engine",
                    $"'{setting}' is refused: Kamailio's {setting} ({(setting.Equals("krand", StringComparison.OrdinalIgnoreCase) ? "libc-style rand()" : "ISAAC")}) " +
                    "is not a cryptographically secure generator, and TLS keys, nonces and session tickets would be predictable. " +
                    $"Use cryptorand or kxlibssl (both select OpenSSL's default DRBG, thread-safe in OpenSSL 3), or {string.Join(", ", DrbgNames)}");
            case "CTR-DRBG":
                return new TlsRandomGenerator(setting, "CTR-DRBG", "AES-256-CTR", null);
            case "HASH-DRBG":
                return new TlsRandomGenerator(setting, "HASH-DRBG", null, "SHA256");
            case "HMAC-DRBG":
                return new TlsRandomGenerator(setting, "HMAC-DRBG", null, "SHA256");
            default:
                throw new TlsEngineException("rand_engine",
                    $"unknown value '{setting}'; use cryptorand or kxlibssl (OpenSSL's default DRBG) or {string.Join(", ", DrbgNames)} " +
                    "(krand and fastrand are refused as not cryptographically secure)");
        }
    }

    /// <summary>
    /// Applies a <c>rand_engine</c> value to the process (see the class remarks for the order) and makes it
    /// <see cref="Current"/>. Throws <see cref="TlsEngineException"/> for refused values, and for a DRBG other than the
    /// running one once OpenSSL has started generating.
    /// </summary>
    public static TlsRandomGenerator Configure(string? randEngine)
    {
        TlsRandomGenerator generator = Parse(randEngine);
        OpenSslRuntime.EnsureInitialized();
        lock (Gate)
        {
            if (generator.Drbg is not null)
            {
                Apply(generator);
            }
            else if (s_current.Drbg is not null)
            {
                // An earlier Configure chose a DRBG: return to OpenSSL's default choice (possible only before first use).
                Reset(generator);
            }

            PinMethod();
            s_current = generator;
            return generator;
        }
    }

    /// <summary>The DRBG names accepted besides Kamailio's values.</summary>
    internal static IReadOnlyList<string> DrbgNames { get; } = ["CTR-DRBG", "HASH-DRBG", "HMAC-DRBG"];

    /// <summary>
    /// Fixes OpenSSL's RAND front end on its own generator before any engine is loaded (OpenSSL picks the method
    /// once, and some PKCS#11 modules make another engine the default RAND engine while they load). Does not start
    /// the DRBG, so <see cref="Configure"/> still works afterwards.
    /// </summary>
    internal static void PinMethod() => RandomGeneratorSetup.PinMethod();

    /// <summary>
    /// Instantiates <paramref name="generator"/>'s DRBG in a scratch library context: the DRBG OpenSSL reports and its
    /// strength, or a null name and the errors.
    /// </summary>
    internal static (string? Name, uint Strength, List<OpenSslError> Errors) Probe(TlsRandomGenerator generator)
    {
        (string? name, uint strength, OpenSslException? error) = RandomGeneratorSetup.Probe(generator.Drbg!, generator.Cipher, generator.Digest);
        return (name, strength, [.. error?.Errors ?? []]);
    }

    /// <summary>
    /// Selects <paramref name="generator"/>'s DRBG for the process's default library context. It is first tried in a
    /// scratch library context, so a DRBG the loaded OpenSSL cannot instantiate is refused here rather than failing the
    /// first handshake. When OpenSSL's DRBG is already running, succeeds only if it is the same DRBG at full strength.
    /// </summary>
    private static void Apply(TlsRandomGenerator generator)
    {
        (string? name, _, OpenSslException? error) = RandomGeneratorSetup.Probe(generator.Drbg!, generator.Cipher, generator.Digest);
        if (name is null)
        {
            throw new TlsEngineException("rand_engine", $"{generator} cannot be instantiated by the loaded OpenSSL", error);
        }

        try
        {
            RandomGeneratorSetup.SetDefaultType(generator.Drbg!, generator.Cipher, generator.Digest);
            return;
        }
        catch (OpenSslException e) when (e.Errors.Any(error => error.Reason.Contains("already instantiated", StringComparison.OrdinalIgnoreCase)))
        {
            // Too late to choose; reading the running DRBG is harmless now (it exists already).
            (string? running, uint runningStrength) = RandomGeneratorSetup.DescribeDefault();
            if (string.Equals(running, generator.Drbg, StringComparison.OrdinalIgnoreCase) && runningStrength >= ExpectedStrength)
            {
                return;
            }

            throw new TlsEngineException("rand_engine",
                $"'{generator.Setting}' came too late: OpenSSL's generator is already running ({running ?? "unknown"}, {runningStrength} bits) " +
                "because random bytes were generated before (building a profile or loading an engine does that); " +
                "configure rand_engine first, before any profile or engine", e);
        }
        catch (OpenSslException e)
        {
            throw new TlsEngineException("rand_engine", $"OpenSSL refused {generator}", e);
        }
    }

    /// <summary>
    /// Returns the process's default library context to OpenSSL's own choice of DRBG (undoing <see cref="Apply"/>).
    /// Once the DRBG runs that is only possible when it is OpenSSL's default, a CTR-DRBG at full strength.
    /// </summary>
    private static void Reset(TlsRandomGenerator generator)
    {
        try
        {
            RandomGeneratorSetup.ResetDefaultType();
        }
        catch (OpenSslException e)
        {
            (string? running, uint strength) = RandomGeneratorSetup.DescribeDefault();
            if (running == "CTR-DRBG" && strength >= ExpectedStrength)
            {
                return;
            }

            throw new TlsEngineException("rand_engine",
                $"'{generator.Setting}' came too late: OpenSSL's generator is already running ({running ?? "unknown"}, {strength} bits), " +
                "chosen by an earlier rand_engine; restart to return to OpenSSL's default", e);
        }
    }
}
