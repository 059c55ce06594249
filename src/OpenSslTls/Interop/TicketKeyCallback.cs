using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// OpenSSL's session-ticket key callback (<c>SSL_CTX_set_tlsext_ticket_key_evp_cb</c>) over an
/// <see cref="ITicketKeyProvider"/>: AES-256-CBC with HMAC-SHA256, the construction OpenSSL uses for its own keys
/// (and nginx's 80-byte key files), so TLS 1.2 and TLS 1.3 tickets alike are sealed with keys the provider shares.
/// </summary>
internal static unsafe class TicketKeyCallback
{
    internal const int NameBytes = 16;
    internal const int SecretBytes = 32;
    internal const string CallbackName = "session ticket key callback";

    private static readonly ManagedExDataSlot Slot = new(Crypto.CRYPTO_EX_INDEX_SSL_CTX, "the session ticket keys");

    /// <summary>
    /// Makes <paramref name="context"/> seal and open its tickets with <paramref name="provider"/>'s keys. The context
    /// holds the provider through a GCHandle in its ex_data, released by <c>SSL_CTX_free</c>.
    /// </summary>
    internal static void Install(SafeSslContextHandle context, ITicketKeyProvider provider)
    {
        Slot.Attach(context.Pointer, provider);
        if (Ssl.SSL_CTX_set_tlsext_ticket_key_evp_cb(context.Pointer, &OnTicketKey) != 1)
        {
            throw ErrorQueue.Drain("SSL_CTX_set_tlsext_ticket_key_evp_cb");
        }
    }

    /// <summary>
    /// enc = 1: name the current key, make an IV, initialise the cipher and the MAC; 1 issues the ticket, 0 issues none.
    /// enc = 0: find the named key; 0 ignores the ticket (full handshake), 1 accepts it, 2 accepts it and issues a new
    /// one under the current key. A key the provider lacks or a set-up OpenSSL refuses only costs the ticket; an
    /// exception (a bug, never a missing key) is recorded through <see cref="NativeCallback"/> and fails the handshake.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnTicketKey(SSL* ssl, byte* keyName, byte* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc)
    {
        byte* secrets = stackalloc byte[2 * SecretBytes];
        var hmacSecret = new Span<byte>(secrets, SecretBytes);
        var aesKey = new Span<byte>(secrets + SecretBytes, SecretBytes);
        bool marked = false;
        try
        {
            // The context that received the ClientHello holds the ticket keys (SSL_set_SSL_CTX keeps them); every
            // server context of a module has the same provider, so the current one is as good and always set.
            if (Slot.Get<ITicketKeyProvider>(Ssl.SSL_get_SSL_CTX(ssl)) is not { } provider)
            {
                return 0;
            }

            var name = new Span<byte>(keyName, NameBytes);

            // A failed cipher or MAC set-up only costs this ticket: its errors are dropped back to the mark, so they
            // cannot be read later as the failure of the handshake or of the next operation.
            Crypto.ERR_set_mark();
            marked = true;
            if (enc == 1)
            {
                if (!provider.TryGetEncryptionKey(name, hmacSecret, aesKey)
                    || Crypto.RAND_bytes(iv, Crypto.EVP_MAX_IV_LENGTH) != 1
                    || Crypto.EVP_EncryptInit_ex(cipher, Crypto.EVP_aes_256_cbc(), null, secrets + SecretBytes, iv) != 1
                    || !SetMacKey(mac, secrets))
                {
                    Crypto.ERR_pop_to_mark();
                    return 0;
                }

                Crypto.ERR_clear_last_mark();
                return 1;
            }

            TicketKeyMatch match = provider.FindDecryptionKey(name, hmacSecret, aesKey);
            if (match == TicketKeyMatch.None)
            {
                Crypto.ERR_clear_last_mark();
                return 0;
            }

            if (Crypto.EVP_DecryptInit_ex(cipher, Crypto.EVP_aes_256_cbc(), null, secrets + SecretBytes, iv) != 1
                || !SetMacKey(mac, secrets))
            {
                Crypto.ERR_pop_to_mark();
                return 0;
            }

            Crypto.ERR_clear_last_mark();
            return match == TicketKeyMatch.Current ? 1 : 2;
        }
        catch (Exception e)
        {
            if (marked)
            {
                Crypto.ERR_pop_to_mark();
            }

            NativeCallback.Record(CallbackName, e);
            return 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(new Span<byte>(secrets, 2 * SecretBytes));
        }
    }

    /// <summary>HMAC-SHA256 keyed with the first <see cref="SecretBytes"/> at <paramref name="secret"/>.</summary>
    private static bool SetMacKey(EVP_MAC_CTX* mac, byte* secret)
    {
        // OSSL_MAC_PARAM_KEY and OSSL_MAC_PARAM_DIGEST ("key", "digest"): string macros, which the generator does not bind.
        ReadOnlySpan<byte> keyName = "key\0"u8;
        ReadOnlySpan<byte> digestName = "digest\0"u8;
        ReadOnlySpan<byte> sha256 = "SHA256\0"u8;
        fixed (byte* key = keyName)
        fixed (byte* digest = digestName)
        fixed (byte* algorithm = sha256)
        {
            OSSL_PARAM* parameters = stackalloc OSSL_PARAM[3];
            parameters[0] = Parameter(key, Crypto.OSSL_PARAM_OCTET_STRING, secret, SecretBytes);
            parameters[1] = Parameter(digest, Crypto.OSSL_PARAM_UTF8_STRING, algorithm, (nuint)(sha256.Length - 1));
            parameters[2] = default; // the terminating entry: key == NULL
            return Crypto.EVP_MAC_CTX_set_params(mac, parameters) == 1;
        }
    }

    private static OSSL_PARAM Parameter(byte* key, int type, void* data, nuint size) => new()
    {
        key = (sbyte*)key,
        data_type = (uint)type,
        data = data,
        data_size = size,
        return_size = nuint.MaxValue, // OSSL_PARAM_UNMODIFIED
    };
}
