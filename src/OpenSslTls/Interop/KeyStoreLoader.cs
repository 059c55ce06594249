using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// Loads the first private key of an OpenSSL 3 <c>OSSL_STORE</c> URI: <c>file:</c> URIs and plain paths with OpenSSL's
/// built-in loader, other schemes (such as <c>pkcs11:</c>) with whatever provider the process's <c>openssl.cnf</c>
/// activates. A password or PIN the store asks for comes from the password through a UI method that never prompts.
/// </summary>
internal static unsafe class KeyStoreLoader
{
    /// <summary>The operation of the <see cref="OpenSslException"/> thrown when the password callback cannot be made.</summary>
    internal const string CallbackStep = "UI_UTIL_wrap_read_pem_callback";

    /// <summary>The operation of the <see cref="OpenSslException"/> thrown when the store cannot be opened.</summary>
    internal const string OpenStep = "OSSL_STORE_open_ex";

    /// <summary>The operation of the <see cref="OpenSslException"/> thrown when the store yields no private key.</summary>
    internal const string LoadStep = "OSSL_STORE_load";

    // Never trust a loop to native state: a store yields far fewer objects than this before its end.
    private const int MaxObjects = 10_000;

    /// <summary>
    /// The first private key <paramref name="uri"/> yields; throws <see cref="OpenSslException"/> whose operation is
    /// <see cref="CallbackStep"/>, <see cref="OpenStep"/> or <see cref="LoadStep"/>, the password masked in its texts.
    /// </summary>
    internal static SafeEvpPKeyHandle Load(string uri, string? password, string shown)
    {
        string[] secrets = password is null ? [] : [password];
        byte[]? secret = password is null ? null : Utf8Z.From(password);
        ErrorQueue.Clear();

        // A new UI method, destroyed in the finally block.
        UI_METHOD* ui = Crypto.UI_UTIL_wrap_read_pem_callback(&PrivateKeyLoader.PasswordCallback, 0);
        if (ui == null)
        {
            throw ErrorQueue.Drain(CallbackStep);
        }

        try
        {
            fixed (byte* uriText = Utf8Z.From(uri))
            fixed (byte* secretBytes = secret)
            {
                // A new store context, closed (and freed) by OSSL_STORE_close in the finally block.
                OSSL_STORE_CTX* store = Crypto.OSSL_STORE_open_ex((sbyte*)uriText, null, null, ui, secretBytes, null, null, null);
                if (store == null)
                {
                    throw SecretRedaction.DrainScrubbed(OpenStep, secrets);
                }

                try
                {
                    return LoadFirstKey(store, shown, secrets);
                }
                finally
                {
                    Crypto.OSSL_STORE_close(store);
                }
            }
        }
        finally
        {
            Crypto.UI_destroy_method(ui);
            if (secret is not null)
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    private static SafeEvpPKeyHandle LoadFirstKey(OSSL_STORE_CTX* store, string shown, string[] secrets)
    {
        // Only private keys are wanted; must precede the first load. Loaders that cannot filter still yield others.
        Crypto.OSSL_STORE_expect(store, Crypto.OSSL_STORE_INFO_PKEY);
        var errors = new List<OpenSslError>();
        for (int i = 0; i < MaxObjects && Crypto.OSSL_STORE_eof(store) == 0; i++)
        {
            // Each object comes as a new OSSL_STORE_INFO that we free; get1 adds the key reference the handle owns.
            OSSL_STORE_INFO* info = Crypto.OSSL_STORE_load(store);
            if (info == null)
            {
                // A failed object (say, a key the password does not decrypt): remember why and go on to the next.
                List<OpenSslError> failure = ErrorQueue.DrainErrors();
                if (errors.Count < 64)
                {
                    errors.AddRange(failure);
                }

                continue;
            }

            try
            {
                if (Crypto.OSSL_STORE_INFO_get_type(info) == Crypto.OSSL_STORE_INFO_PKEY)
                {
                    ErrorQueue.Clear();
                    return SafeEvpPKeyHandle.TakeOwnership(Crypto.OSSL_STORE_INFO_get1_PKEY(info), $"loading {shown}");
                }
            }
            finally
            {
                Crypto.OSSL_STORE_INFO_free(info);
            }
        }

        errors.AddRange(ErrorQueue.DrainErrors());
        throw new OpenSslException($"{LoadStep} failed", SecretRedaction.Scrub(errors, secrets));
    }
}
