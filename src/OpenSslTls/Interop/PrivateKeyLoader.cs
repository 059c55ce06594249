using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// Reads PEM private keys without ever letting OpenSSL prompt on a terminal: the password (or its absence) is handed
/// over through a callback, so an encrypted key without a password fails instead of blocking the server. Engine and
/// store keys (<c>/engine:</c>, <c>/uri:</c>) are <see cref="EngineLoader"/>'s and <see cref="KeyStoreLoader"/>'s.
/// </summary>
internal static unsafe class PrivateKeyLoader
{
    /// <summary>The operation of the <see cref="OpenSslException"/> thrown when the file cannot be opened.</summary>
    internal const string OpenStep = "BIO_new_file";

    /// <summary>
    /// Loads the PEM key in <paramref name="path"/>; throws <see cref="OpenSslException"/> (operation
    /// <see cref="OpenStep"/> when the file cannot be opened, else <c>PEM_read_bio_PrivateKey</c>).
    /// </summary>
    internal static SafeEvpPKeyHandle LoadPem(string path, string? password)
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
                    throw ErrorQueue.Drain(OpenStep);
                }

                try
                {
                    // PEM_read_bio_PrivateKey returns a new key (one reference), which the handle takes.
                    EVP_PKEY* key = Crypto.PEM_read_bio_PrivateKey(bio, null, &PasswordCallback, secretBytes);
                    if (key == null)
                    {
                        throw ErrorQueue.Drain("PEM_read_bio_PrivateKey");
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
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    /// <summary>
    /// <c>pem_password_cb</c>: copies the NUL-terminated password in <paramref name="userData"/>, or refuses when there
    /// is none. Also answers engine PIN and store passphrase prompts, wrapped by <c>UI_UTIL_wrap_read_pem_callback</c>.
    /// Runs under <see cref="NativeCallback"/>: whatever happens, OpenSSL gets a length or -1 (refused).
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static int PasswordCallback(sbyte* buffer, int size, int writing, void* userData)
    {
        var state = new PasswordRequest(buffer, size, userData);
        return NativeCallback.Run("private key password callback", ref state, &CopyPassword, -1);
    }

    private static int CopyPassword(ref PasswordRequest request)
    {
        if (request.UserData == null || request.Size <= 0)
        {
            return -1;
        }

        var password = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)request.UserData);
        if (password.Length > request.Size)
        {
            return -1;
        }

        password.CopyTo(new Span<byte>(request.Buffer, request.Size));
        return password.Length;
    }

    private readonly struct PasswordRequest(sbyte* buffer, int size, void* userData)
    {
        internal sbyte* Buffer { get; } = buffer;

        internal int Size { get; } = size;

        internal void* UserData { get; } = userData;
    }
}
