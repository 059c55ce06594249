using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// Loads <c>private_key = /uri:&lt;URI&gt;</c> through OpenSSL 3's <c>OSSL_STORE</c>: <c>file:</c> URIs and plain
/// paths with OpenSSL's built-in loader, other schemes (such as <c>pkcs11:</c>) with whatever provider the process's
/// <c>openssl.cnf</c> activates. A password or PIN the store asks for comes from <c>private_key_password</c> through a
/// UI method that never prompts on a terminal.
/// </summary>
internal static unsafe class KeyStoreLoader
{
    // Never trust a loop to native state: a store yields far fewer objects than this before its end.
    private const int MaxObjects = 10_000;

    internal static SafeEvpPKeyHandle Load(string uri, string? password, string parameter, string profile)
    {
        string shown = SecretRedaction.RedactReference($"/uri:{uri}");
        string[] secrets = password is null ? [] : [password];
        byte[]? secret = password is null ? null : Utf8Z.From(password);
        ErrorQueue.Clear();

        // A new UI method, destroyed in the finally block.
        UI_METHOD* ui = Crypto.UI_UTIL_wrap_read_pem_callback(&PrivateKeyLoader.PasswordCallback, 0);
        if (ui == null)
        {
            throw new TlsProfileException(profile, parameter, $"{shown}: cannot create the password callback", ErrorQueue.DrainErrors());
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
                    List<OpenSslError> errors = SecretRedaction.Scrub(ErrorQueue.DrainErrors(), secrets);
                    throw new TlsProfileException(profile, parameter, DescribeOpenFailure(uri, shown, errors), errors);
                }

                try
                {
                    return LoadFirstKey(store, shown, password is not null, secrets, parameter, profile);
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

    private static SafeEvpPKeyHandle LoadFirstKey(OSSL_STORE_CTX* store, string shown, bool hasPassword, string[] secrets, string parameter, string profile)
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
        errors = SecretRedaction.Scrub(errors, secrets);
        throw new TlsProfileException(profile, parameter, DescribeLoadFailure(shown, hasPassword, errors), errors);
    }

    private static string DescribeOpenFailure(string uri, string shown, List<OpenSslError> errors)
    {
        if (errors.Exists(e => e.Reason.Contains("unregistered scheme", StringComparison.OrdinalIgnoreCase)))
        {
            int colon = uri.IndexOf(':', StringComparison.Ordinal);
            string scheme = colon > 0 ? uri[..colon] : uri;
            return $"{shown}: no OpenSSL store loader handles the scheme '{scheme}' (activate a provider for it in openssl.cnf; " +
                "file: URIs and plain paths always work)";
        }

        if (errors.Exists(e => e.IsSystemError || e.Reason.Contains("no such file", StringComparison.OrdinalIgnoreCase)))
        {
            return $"{shown}: cannot open (no such file or not readable)";
        }

        return $"{shown}: the store cannot be opened";
    }

    private static string DescribeLoadFailure(string shown, bool hasPassword, List<OpenSslError> errors)
    {
        bool Has(string text) => errors.Exists(e => e.Reason.Contains(text, StringComparison.OrdinalIgnoreCase));
        bool decryptFailed = Has("bad decrypt") || Has("decrypt") || Has("pkcs12") || Has("mac verify");
        bool passwordFailed = Has("password") || Has("problems getting") || Has("interrupted or cancelled") || Has("processing error");
        if (!hasPassword && (decryptFailed || passwordFailed))
        {
            return $"{shown} is encrypted and no password is configured (private_key_password)";
        }

        if (hasPassword && (decryptFailed || passwordFailed))
        {
            return $"wrong password for {shown}";
        }

        return $"{shown} holds no private key";
    }
}
