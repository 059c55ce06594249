using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>The process-wide library calls of start-up: the loaded version, its build texts, libssl's initialisation.</summary>
internal static unsafe class OpenSslLibrary
{
    /// <summary>The loaded libcrypto's <c>OpenSSL_version_num()</c> (0xMNN00PP0L).</summary>
    internal static nuint VersionNumber() => Crypto.OpenSSL_version_num();

    /// <summary><c>OpenSSL_version(selector)</c> (<c>OPENSSL_VERSION</c>, <c>OPENSSL_DIR</c>...), or empty.</summary>
    internal static string VersionText(int selector) => Utf8Z.ToString(Crypto.OpenSSL_version(selector)) ?? string.Empty;

    /// <summary>Initialises libssl with its and libcrypto's error strings; throws <see cref="Errors.OpenSslException"/> on failure.</summary>
    internal static void InitSsl()
    {
        ErrorQueue.Clear();
        if (Ssl.OPENSSL_init_ssl(Ssl.OPENSSL_INIT_LOAD_SSL_STRINGS | Crypto.OPENSSL_INIT_LOAD_CRYPTO_STRINGS, null) != 1)
        {
            throw ErrorQueue.Drain("Initialising libssl (OPENSSL_init_ssl)");
        }
    }
}
