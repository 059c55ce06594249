using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OpenSslTls.Errors;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// Reads certificates and keys from bytes (PEM, DER, PKCS#12) into OpenSSL objects. Never prompts: a password is
/// handed over through a callback or as a parameter, and an encrypted input without one fails. Which format a file or
/// buffer holds is decided one layer up; these calls return raw facts (handles, null, an outcome) and throw only
/// <see cref="OpenSslException"/>. Passwords are copied into <see cref="PinnedSecret"/>s that are zeroed after the call.
/// </summary>
internal static unsafe class CertificateMaterialReader
{
    // pemerr.h's PEM_R_NO_START_LINE (the generator does not read pemerr.h): "no more PEM blocks" at the end of a bundle.
    private const int PemNoStartLine = 108;

    /// <summary>
    /// The certificates of a PEM text, in order (the first as <c>X509_AUX</c>, which also accepts a "TRUSTED
    /// CERTIFICATE" block, like <c>SSL_CTX_use_certificate_chain_file</c>); empty when there is none. Throws
    /// <see cref="OpenSslException"/> when a certificate block is damaged.
    /// </summary>
    internal static List<SafeX509Handle> ReadPemCertificates(ReadOnlySpan<byte> pem)
    {
        var certificates = new List<SafeX509Handle>();
        ErrorQueue.Clear();
        fixed (byte* data = pem)
        {
            // A read-only BIO over the pinned bytes (borrowed, not copied), freed below.
            BIO* bio = Crypto.BIO_new_mem_buf(data, pem.Length);
            if (bio == null)
            {
                throw ErrorQueue.Drain("BIO_new_mem_buf");
            }

            try
            {
                // Bounded: never trust a loop to native state; no real bundle holds this many certificates.
                for (int i = 0; i < 100_000; i++)
                {
                    // Each read returns a new certificate (one reference), which its handle takes.
                    X509* certificate = i == 0
                        ? Crypto.PEM_read_bio_X509_AUX(bio, null, null, null)
                        : Crypto.PEM_read_bio_X509(bio, null, null, null);
                    if (certificate == null)
                    {
                        break;
                    }

                    certificates.Add(SafeX509Handle.TakeOwnership(certificate, "PEM_read_bio_X509"));
                }

                // The loop ends with "no start line" once no CERTIFICATE block is left: that is the end, not a failure.
                nuint last = Crypto.ERR_peek_last_error();
                if (last != 0 && !(ErrorCodes.GetLibrary(last) == Crypto.ERR_LIB_PEM && ErrorCodes.GetReason(last) == PemNoStartLine))
                {
                    throw ErrorQueue.Drain("PEM_read_bio_X509");
                }

                ErrorQueue.Clear();
                return certificates;
            }
            catch
            {
                foreach (SafeX509Handle certificate in certificates)
                {
                    certificate.Dispose();
                }

                throw;
            }
            finally
            {
                Crypto.BIO_free(bio);
            }
        }
    }

    /// <summary>The DER certificate that <paramref name="der"/> holds (all of it), or null when it is not one.</summary>
    internal static SafeX509Handle? ReadDerCertificate(ReadOnlySpan<byte> der)
    {
        ErrorQueue.Clear();
        fixed (byte* data = der)
        {
            byte* cursor = data;

            // d2i_X509 returns a new certificate (one reference) and advances the cursor past what it decoded.
            X509* certificate = Crypto.d2i_X509(null, &cursor, der.Length);
            if (certificate == null)
            {
                ErrorQueue.Clear();
                return null;
            }

            if (cursor != data + der.Length)
            {
                // Bytes after the certificate: this is not one DER certificate (a PKCS#12 bundle never parses this far).
                Crypto.X509_free(certificate);
                return null;
            }

            return SafeX509Handle.TakeOwnership(certificate, "d2i_X509");
        }
    }

    /// <summary>
    /// Reads a PKCS#12 bundle with <paramref name="password"/> (null: none, which also tries the empty password, as
    /// <c>PKCS12_parse</c> does). On <see cref="Pkcs12Outcome.Read"/>, <paramref name="material"/> holds the
    /// certificate, its chain and the key (null when the bundle has none); otherwise <paramref name="errors"/> holds
    /// what OpenSSL reported, if anything.
    /// </summary>
    internal static Pkcs12Outcome ReadPkcs12(ReadOnlySpan<byte> der, string? password, out CertificateMaterial? material, out OpenSslException? errors)
    {
        material = null;
        errors = null;
        ErrorQueue.Clear();
        using PinnedSecret? secret = PinnedSecret.FromPassword(password);
        fixed (byte* data = der)
        fixed (byte* pass = secret is null ? Span<byte>.Empty : secret.Capacity)
        fixed (byte* empty = "\0"u8)
        {
            byte* cursor = data;

            // A new PKCS12 structure, freed in the finally block.
            PKCS12* bundle = Crypto.d2i_PKCS12(null, &cursor, der.Length);
            if (bundle == null)
            {
                ErrorQueue.Clear();
                return Pkcs12Outcome.NotPkcs12;
            }

            try
            {
                if (Crypto.PKCS12_mac_present(bundle) == 1)
                {
                    bool verified = pass == null
                        ? Crypto.PKCS12_verify_mac(bundle, null, 0) == 1 || Crypto.PKCS12_verify_mac(bundle, (sbyte*)empty, 0) == 1
                        : Crypto.PKCS12_verify_mac(bundle, (sbyte*)pass, secret!.Length) == 1;
                    if (!verified)
                    {
                        errors = ErrorQueue.Drain("PKCS12_verify_mac");
                        return pass == null ? Pkcs12Outcome.PasswordNeeded : Pkcs12Outcome.WrongPassword;
                    }
                }

                ErrorQueue.Clear();
                EVP_PKEY* key = null;
                X509* certificate = null;
                stack_st_X509* chain = null;

                // PKCS12_parse's out-parameters are new: the key and certificate (one reference each, taken by handles
                // below) and a new stack of new certificate references (each taken by a handle, the stack freed).
                if (Crypto.PKCS12_parse(bundle, (sbyte*)pass, &key, &certificate, &chain) != 1)
                {
                    errors = ErrorQueue.Drain("PKCS12_parse");
                    return Pkcs12Outcome.Unreadable;
                }

                SafeEvpPKeyHandle? keyHandle = key == null ? null : SafeEvpPKeyHandle.TakeOwnership(key, "PKCS12_parse");
                SafeX509Handle? certificateHandle = certificate == null ? null : SafeX509Handle.TakeOwnership(certificate, "PKCS12_parse");
                List<SafeX509Handle> links = TakeAll((OPENSSL_STACK*)chain);

                // Without a key PKCS12_parse cannot tell the leaf (it matches the key) and returns every certificate in
                // the chain: the first one is the bundle's certificate.
                if (certificateHandle is null && keyHandle is null && links.Count > 0)
                {
                    certificateHandle = links[0];
                    links.RemoveAt(0);
                }

                if (certificateHandle is null)
                {
                    keyHandle?.Dispose();
                    links.ForEach(link => link.Dispose());
                    return Pkcs12Outcome.NoCertificate;
                }

                material = new CertificateMaterial(certificateHandle, links, keyHandle);
                return Pkcs12Outcome.Read;
            }
            finally
            {
                Crypto.PKCS12_free(bundle);
            }
        }
    }

    /// <summary>The PEM private key in <paramref name="pem"/>; throws <see cref="OpenSslException"/> (<c>PEM_read_bio_PrivateKey</c>).</summary>
    internal static SafeEvpPKeyHandle ReadPemPrivateKey(ReadOnlySpan<byte> pem, string? password)
    {
        ErrorQueue.Clear();
        using PinnedSecret? secret = PinnedSecret.FromPassword(password);
        fixed (byte* data = pem)
        fixed (byte* pass = secret is null ? Span<byte>.Empty : secret.Capacity)
        {
            // A read-only BIO over the pinned bytes, freed below.
            BIO* bio = Crypto.BIO_new_mem_buf(data, pem.Length);
            if (bio == null)
            {
                throw ErrorQueue.Drain("BIO_new_mem_buf");
            }

            try
            {
                // A new key (one reference), which the handle takes.
                EVP_PKEY* key = Crypto.PEM_read_bio_PrivateKey(bio, null, &PrivateKeyLoader.PasswordCallback, pass);
                if (key == null)
                {
                    throw ErrorQueue.Drain("PEM_read_bio_PrivateKey");
                }

                return SafeEvpPKeyHandle.TakeOwnership(key, "PEM_read_bio_PrivateKey");
            }
            finally
            {
                Crypto.BIO_free(bio);
            }
        }
    }

    /// <summary>
    /// The DER private key in <paramref name="der"/> (PKCS#8, encrypted PKCS#8 or a type-specific structure such as
    /// PKCS#1), or null with <paramref name="errors"/> set; <paramref name="passwordAsked"/> tells whether the decoder
    /// asked for a password (the key is encrypted).
    /// </summary>
    internal static SafeEvpPKeyHandle? ReadDerPrivateKey(ReadOnlySpan<byte> der, string? password, out bool passwordAsked, out OpenSslException? errors)
    {
        errors = null;
        ErrorQueue.Clear();
        using PinnedSecret? secret = PinnedSecret.FromPassword(password);
        var request = new DecoderPassword { Password = null, Asked = 0 };
        fixed (byte* data = der)
        fixed (byte* pass = secret is null ? Span<byte>.Empty : secret.Capacity)
        fixed (byte* input = "DER\0"u8)
        {
            request.Password = pass;
            EVP_PKEY* key = null;

            // A new decoder context, freed below; on success it stores a new key (one reference) in 'key'.
            OSSL_DECODER_CTX* decoder = Crypto.OSSL_DECODER_CTX_new_for_pkey(&key, (sbyte*)input, null, null, Crypto.EVP_PKEY_KEYPAIR, null, null);
            if (decoder == null)
            {
                throw ErrorQueue.Drain("OSSL_DECODER_CTX_new_for_pkey");
            }

            try
            {
                if (Crypto.OSSL_DECODER_CTX_set_pem_password_cb(decoder, &DecoderPasswordCallback, &request) != 1)
                {
                    throw ErrorQueue.Drain("OSSL_DECODER_CTX_set_pem_password_cb");
                }

                byte* cursor = data;
                nuint left = (nuint)der.Length;
                bool decoded = Crypto.OSSL_DECODER_from_data(decoder, &cursor, &left) == 1 && key != null;
                passwordAsked = request.Asked != 0;
                if (!decoded)
                {
                    if (key != null)
                    {
                        Crypto.EVP_PKEY_free(key);
                    }

                    errors = ErrorQueue.Drain("OSSL_DECODER_from_data");
                    return null;
                }

                ErrorQueue.Clear();
                return SafeEvpPKeyHandle.TakeOwnership(key, "OSSL_DECODER_from_data");
            }
            finally
            {
                Crypto.OSSL_DECODER_CTX_free(decoder);
            }
        }
    }

    /// <summary>An unencrypted PKCS#8 <c>PrivateKeyInfo</c> (as .NET exports it); throws <see cref="OpenSslException"/>.</summary>
    internal static SafeEvpPKeyHandle ReadPkcs8PrivateKey(ReadOnlySpan<byte> pkcs8)
    {
        ErrorQueue.Clear();
        fixed (byte* data = pkcs8)
        {
            byte* cursor = data;

            // A new key (one reference), which the handle takes.
            return SafeEvpPKeyHandle.TakeOwnership(Crypto.d2i_AutoPrivateKey(null, &cursor, pkcs8.Length), "d2i_AutoPrivateKey");
        }
    }

    /// <summary>Whether <paramref name="key"/> is the private half of <paramref name="certificate"/>'s public key.</summary>
    internal static bool KeyMatches(SafeX509Handle certificate, SafeEvpPKeyHandle key)
    {
        bool matches = Crypto.X509_check_private_key(certificate.Pointer, key.Pointer) == 1;
        ErrorQueue.Clear();
        GC.KeepAlive(certificate);
        GC.KeepAlive(key);
        return matches;
    }

    /// <summary>The certificate's subject as one line (<c>/CN=…</c>), for messages.</summary>
    internal static string SubjectOf(SafeX509Handle certificate)
    {
        byte* line = stackalloc byte[1024];

        // Borrowed (get0): the name belongs to the certificate.
        X509_NAME* name = Crypto.X509_get_subject_name(certificate.Pointer);
        string text = Utf8Z.ToString(Crypto.X509_NAME_oneline(name, (sbyte*)line, 1024)) ?? string.Empty;
        GC.KeepAlive(certificate);
        return text;
    }

    /// <summary>Takes every certificate of a stack of owned references into handles, in order, and frees the stack.</summary>
    private static List<SafeX509Handle> TakeAll(OPENSSL_STACK* stack)
    {
        var certificates = new List<SafeX509Handle>();
        if (stack == null)
        {
            return certificates;
        }

        int count = Crypto.OPENSSL_sk_num(stack);
        for (int i = 0; i < count; i++)
        {
            certificates.Add(SafeX509Handle.TakeOwnership((X509*)Crypto.OPENSSL_sk_value(stack, i), "PKCS12_parse"));
        }

        // The references now belong to the handles: free only the stack itself.
        Crypto.OPENSSL_sk_free(stack);
        return certificates;
    }

    /// <summary>
    /// <c>pem_password_cb</c> of the DER key decoder: records that a password was asked for, then copies it (or refuses
    /// when there is none). Runs under <see cref="NativeCallback"/>.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int DecoderPasswordCallback(sbyte* buffer, int size, int writing, void* userData)
    {
        var state = new PasswordCall { Buffer = buffer, Size = size, Request = (DecoderPassword*)userData };
        return NativeCallback.Run("private key password callback", ref state, &CopyPassword, -1);
    }

    private static int CopyPassword(ref PasswordCall call)
    {
        if (call.Request == null)
        {
            return -1;
        }

        call.Request->Asked = 1;
        if (call.Request->Password == null || call.Size <= 0)
        {
            return -1;
        }

        var password = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(call.Request->Password);
        if (password.Length > call.Size)
        {
            return -1;
        }

        password.CopyTo(new Span<byte>(call.Buffer, call.Size));
        return password.Length;
    }

    private struct DecoderPassword
    {
        internal byte* Password;
        internal int Asked;
    }

    private struct PasswordCall
    {
        internal sbyte* Buffer;
        internal int Size;
        internal DecoderPassword* Request;
    }
}
