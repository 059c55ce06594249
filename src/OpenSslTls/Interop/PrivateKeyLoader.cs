using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Interop;

/// <summary>
/// Reads private keys without ever letting OpenSSL prompt on a terminal: the password (or its absence) is handed
/// over through a callback, so an encrypted key without a password fails instead of blocking the server.
/// A <c>private_key</c> value is one of: a PEM file path; <c>/engine:&lt;key id&gt;</c>, a key held by the configured
/// engine (<see cref="EngineLoader"/>); <c>/uri:&lt;URI&gt;</c>, a key from an OpenSSL store (<see cref="KeyStoreLoader"/>).
/// </summary>
internal static unsafe class PrivateKeyLoader
{
    /// <summary>The prefix of keys held by the configured engine (Kamailio's syntax).</summary>
    internal const string EnginePrefix = "/engine:";

    /// <summary>The prefix of keys loaded through an OpenSSL store URI (Kamailio's syntax for OpenSSL 3).</summary>
    internal const string UriPrefix = "/uri:";

    /// <summary>
    /// Loads the key <paramref name="reference"/> names; throws <see cref="TlsProfileException"/> for
    /// <paramref name="parameter"/> of <paramref name="profile"/>. Messages never contain the password or a PIN.
    /// </summary>
    internal static SafeEvpPKeyHandle Load(string reference, string? password, string parameter, string profile, OpenSslEngine? engine)
    {
        if (reference.StartsWith(EnginePrefix, StringComparison.Ordinal))
        {
            string keyId = reference[EnginePrefix.Length..];
            if (engine is null)
            {
                throw new TlsProfileException(profile, parameter,
                    $"'{SecretRedaction.RedactReference(reference)}' is a key held by an engine, but no engine is configured (engine = NONE)", []);
            }

            return engine.LoadPrivateKey(keyId, password, parameter, profile);
        }

        if (reference.StartsWith(UriPrefix, StringComparison.Ordinal))
        {
            return KeyStoreLoader.Load(reference[UriPrefix.Length..], password, parameter, profile);
        }

        return Load(reference, password, parameter, profile);
    }

    internal static SafeEvpPKeyHandle Load(string path, string? password, string parameter, string profile)
    {
        ErrorQueue.Clear();
        byte[]? secret = password is null ? null : Utf8Z.From(password);
        try
        {
            fixed (byte* file = Utf8Z.From(path))
            fixed (byte* mode = "r\0"u8)
            fixed (byte* secretBytes = secret)
            {
                BIO* bio = Crypto.BIO_new_file((sbyte*)file, (sbyte*)mode);
                if (bio == null)
                {
                    throw new TlsProfileException(profile, parameter, $"cannot open private key '{path}'", ErrorQueue.DrainErrors());
                }

                try
                {
                    // PEM_read_bio_PrivateKey returns a new key (one reference), which the handle takes.
                    EVP_PKEY* key = Crypto.PEM_read_bio_PrivateKey(bio, null, &PasswordCallback, secretBytes);
                    if (key == null)
                    {
                        List<OpenSslError> errors = ErrorQueue.DrainErrors();
                        string problem = Describe(path, password, errors);
                        throw new TlsProfileException(profile, parameter, problem, errors);
                    }

                    return SafeEvpPKeyHandle.TakeOwnership(key, $"reading private key '{path}'");
                }
                finally
                {
                    Crypto.BIO_free(bio);
                }
            }
        }
        finally
        {
            if (secret is not null)
            {
                CryptographicZero(secret);
            }
        }
    }

    private static string Describe(string path, string? password, List<OpenSslError> errors)
    {
        bool badDecrypt = errors.Exists(e => e.Reason.Contains("bad decrypt", StringComparison.OrdinalIgnoreCase)
            || e.Reason.Contains("decrypt", StringComparison.OrdinalIgnoreCase));
        bool needsPassword = errors.Exists(e => e.Reason.Contains("password", StringComparison.OrdinalIgnoreCase)
            || e.Reason.Contains("problems getting", StringComparison.OrdinalIgnoreCase));
        if (password is null && (needsPassword || badDecrypt))
        {
            return $"private key '{path}' is encrypted and no password is configured";
        }

        if (badDecrypt)
        {
            return $"wrong password for private key '{path}'";
        }

        return $"no usable private key in '{path}'";
    }

    private static void CryptographicZero(byte[] secret) => System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);

    /// <summary>
    /// <c>pem_password_cb</c>: copies the NUL-terminated password in <paramref name="userData"/>, or refuses when there
    /// is none. Also answers engine PIN and store passphrase prompts, wrapped by <c>UI_UTIL_wrap_read_pem_callback</c>.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static int PasswordCallback(sbyte* buffer, int size, int writing, void* userData)
    {
        if (userData == null || size <= 0)
        {
            return -1;
        }

        var password = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)userData);
        if (password.Length > size)
        {
            return -1;
        }

        password.CopyTo(new Span<byte>(buffer, size));
        return password.Length;
    }
}
