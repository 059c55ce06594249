using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// The <c>SSL_CTX</c> calls a profile's context is built from, one each: they return OpenSSL's verdict and leave its
/// errors queued for the caller to drain (<see cref="ErrorQueue.Drain"/>). Which of them run, in which order and
/// with which values is decided one layer up, from the profile's settings.
/// </summary>
internal static unsafe class SslContextNative
{
    /// <summary>A new context for a server or client method; throws <see cref="Errors.OpenSslException"/> when OpenSSL cannot make one.</summary>
    internal static SafeSslContextHandle Create(bool server, string operation)
    {
        ErrorQueue.Clear();
        SSL_METHOD* method = server ? Ssl.TLS_server_method() : Ssl.TLS_client_method();

        // SSL_CTX_new returns the one reference the handle owns; connections up-ref it through SSL_new.
        return SafeSslContextHandle.TakeOwnership(Ssl.SSL_CTX_new(method), operation);
    }

    internal static bool SetProtocolRange(SafeSslContextHandle context, int min, int max) =>
        Ssl.SSL_CTX_set_min_proto_version(context.Pointer, min) == 1 && Ssl.SSL_CTX_set_max_proto_version(context.Pointer, max) == 1;

    internal static int GetMinProtocol(SafeSslContextHandle context) => (int)Ssl.SSL_CTX_get_min_proto_version(context.Pointer);

    /// <summary>Makes the context hand its key-log lines to <paramref name="target"/> (<see cref="KeyLogCallback"/>).</summary>
    internal static void InstallKeyLog(SafeSslContextHandle context, IKeyLogTarget target) =>
        KeyLogCallback.Install(context, target);

    /// <summary>Installs the SNI callback that lets a server connection switch profile (<see cref="ServerNameSwitch"/>).</summary>
    internal static void InstallServerNameSwitch(SafeSslContextHandle context) => ServerNameSwitch.Install(context.Pointer);

    internal static bool UseCertificateChainFile(SafeSslContextHandle context, string path)
    {
        fixed (byte* file = Utf8Z.From(path))
        {
            return Ssl.SSL_CTX_use_certificate_chain_file(context.Pointer, (sbyte*)file) == 1;
        }
    }

    /// <summary>
    /// Makes <paramref name="certificate"/> the context's certificate for its key type and <paramref name="chain"/> that
    /// certificate's chain (replacing any earlier chain of the slot), as <c>SSL_CTX_use_certificate_chain_file</c> does
    /// for a PEM file. The context up-refs what it keeps (use_certificate, add1_chain_cert); the handles stay the caller's.
    /// </summary>
    internal static bool UseCertificate(SafeSslContextHandle context, SafeX509Handle certificate, IReadOnlyList<SafeX509Handle> chain)
    {
        // SSL_CTX_use_certificate up-refs the certificate and selects its key type's slot for the chain calls below.
        if (Ssl.SSL_CTX_use_certificate(context.Pointer, certificate.Pointer) != 1)
        {
            return false;
        }

        // SSL_CTX_clear_chain_certs (set0_chain with NULL): frees the slot's earlier chain, takes nothing.
        if (Ssl.SSL_CTX_ctrl(context.Pointer, Ssl.SSL_CTRL_CHAIN, 0, null) != 1)
        {
            return false;
        }

        foreach (SafeX509Handle link in chain)
        {
            // SSL_CTX_add1_chain_cert: the context up-refs the certificate (add1); our handle keeps its own reference.
            if (Ssl.SSL_CTX_ctrl(context.Pointer, Ssl.SSL_CTRL_CHAIN_CERT, 1, link.Pointer) != 1)
            {
                return false;
            }
        }

        GC.KeepAlive(certificate);
        GC.KeepAlive(chain);
        return true;
    }

    /// <summary>
    /// Trusts <paramref name="certificate"/> for verifying peers (the context's store up-refs it; a certificate already
    /// there counts as added) and, with <paramref name="sendName"/>, lists its subject among the CA names a server sends
    /// in its certificate request (SSL_CTX_add_client_CA copies the name; the certificate stays ours).
    /// </summary>
    internal static bool AddTrustedCertificate(SafeSslContextHandle context, SafeX509Handle certificate, bool sendName)
    {
        // Borrowed (get0): the store belongs to the context.
        X509_STORE* store = Ssl.SSL_CTX_get_cert_store(context.Pointer);
        bool added = Crypto.X509_STORE_add_cert(store, certificate.Pointer) == 1
            && (!sendName || Ssl.SSL_CTX_add_client_CA(context.Pointer, certificate.Pointer) == 1);
        GC.KeepAlive(certificate);
        return added;
    }

    internal static bool LoadVerifyLocations(SafeSslContextHandle context, string? file, string? directory)
    {
        fixed (byte* fileText = file is null ? null : Utf8Z.From(file))
        fixed (byte* directoryText = directory is null ? null : Utf8Z.From(directory))
        {
            return Ssl.SSL_CTX_load_verify_locations(context.Pointer, (sbyte*)fileText, (sbyte*)directoryText) == 1;
        }
    }

    /// <summary>Sets the CA names a server sends in its certificate request from <paramref name="file"/>; false when none could be read.</summary>
    internal static bool SetClientCaListFromFile(SafeSslContextHandle context, string file)
    {
        fixed (byte* text = Utf8Z.From(file))
        {
            // SSL_load_client_CA_file returns a new stack; SSL_CTX_set_client_CA_list takes ownership of it (set0).
            stack_st_X509_NAME* names = Ssl.SSL_load_client_CA_file((sbyte*)text);
            if (names == null)
            {
                return false;
            }

            Ssl.SSL_CTX_set_client_CA_list(context.Pointer, names);
            return true;
        }
    }

    internal static bool LoadCrlLocations(SafeSslContextHandle context, string file)
    {
        fixed (byte* text = Utf8Z.From(file))
        {
            // Borrowed (get0): the store belongs to the context.
            X509_STORE* store = Ssl.SSL_CTX_get_cert_store(context.Pointer);
            return Crypto.X509_STORE_load_locations(store, (sbyte*)text, null) == 1;
        }
    }

    /// <summary>Checks CRLs for every certificate of the chain (<c>X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL</c>).</summary>
    internal static bool EnableCrlCheckAll(SafeSslContextHandle context)
    {
        // Borrowed (get0): the store belongs to the context.
        X509_STORE* store = Ssl.SSL_CTX_get_cert_store(context.Pointer);
        return Crypto.X509_STORE_set_flags(store, (nuint)(Crypto.X509_V_FLAG_CRL_CHECK | Crypto.X509_V_FLAG_CRL_CHECK_ALL)) == 1;
    }

    internal static bool SetCipherList(SafeSslContextHandle context, string list)
    {
        fixed (byte* text = Utf8Z.From(list))
        {
            return Ssl.SSL_CTX_set_cipher_list(context.Pointer, (sbyte*)text) == 1;
        }
    }

    /// <summary><c>SSL_CTX_set1_groups_list</c>: the key exchange groups offered/accepted, in preference order.</summary>
    internal static bool SetGroupsList(SafeSslContextHandle context, string groups)
    {
        fixed (byte* text = Utf8Z.From(groups))
        {
            return Ssl.SSL_CTX_set1_groups_list(context.Pointer, (sbyte*)text) == 1;
        }
    }

    internal static bool SetCipherSuites(SafeSslContextHandle context, string suites)
    {
        fixed (byte* text = Utf8Z.From(suites))
        {
            return Ssl.SSL_CTX_set_ciphersuites(context.Pointer, (sbyte*)text) == 1;
        }
    }

    internal static void EnableAutomaticDh(SafeSslContextHandle context) => Ssl.SSL_CTX_set_dh_auto(context.Pointer, 1);

    /// <summary>How many ciphers a connection of the context could use (0 when none), or -1 when no connection can be made.</summary>
    internal static int CountSupportedCiphers(SafeSslContextHandle context)
    {
        SSL* probe = Ssl.SSL_new(context.Pointer);
        if (probe == null)
        {
            return -1;
        }

        try
        {
            // get1: a new stack (of borrowed cipher pointers) that we free; null when nothing is enabled.
            var ciphers = (OPENSSL_STACK*)Ssl.SSL_get1_supported_ciphers(probe);
            int usable = ciphers == null ? 0 : Crypto.OPENSSL_sk_num(ciphers);
            Crypto.OPENSSL_sk_free(ciphers);
            return usable;
        }
        finally
        {
            Ssl.SSL_free(probe);
        }
    }

    internal static int GetSecurityLevel(SafeSslContextHandle context) => Ssl.SSL_CTX_get_security_level(context.Pointer);

    /// <summary>Sets the verification mode and depth; <paramref name="acceptAnyCertificate"/> installs a callback that accepts every chain.</summary>
    internal static void SetVerify(SafeSslContextHandle context, int mode, bool acceptAnyCertificate, int depth)
    {
        Ssl.SSL_CTX_set_verify(context.Pointer, mode, acceptAnyCertificate ? &AcceptAnyCertificate : null);
        Ssl.SSL_CTX_set_verify_depth(context.Pointer, depth);
    }

    /// <summary>
    /// Installs the verify callback that checks a server's name by RFC 5922 (clients) and runs the connection's
    /// validation callback (both roles; <see cref="PeerCertificateCheck"/>); connections that check nothing see plain
    /// <c>X509_verify_cert</c>.
    /// </summary>
    internal static void InstallServerCertificateCheck(SafeSslContextHandle context) => PeerCertificateCheck.Install(context.Pointer);

    internal static void SetOptions(SafeSslContextHandle context, ulong options) => Ssl.SSL_CTX_set_options(context.Pointer, options);

    internal static void ClearOptions(SafeSslContextHandle context, ulong options) => Ssl.SSL_CTX_clear_options(context.Pointer, options);

    internal static bool SetSessionIdContext(SafeSslContextHandle context, string id)
    {
        byte[] text = Utf8Z.From(id);
        fixed (byte* bytes = text)
        {
            return Ssl.SSL_CTX_set_session_id_context(context.Pointer, bytes, (uint)(text.Length - 1)) == 1;
        }
    }

    /// <summary>
    /// Sets the context's session id context (at most 32 bytes) and remembers it, so that an SNI switch to this context
    /// can give the connection the same one (<see cref="SessionIdContextOf"/>). Sessions and tickets carry it, and
    /// OpenSSL resumes only those whose context equals the connection's.
    /// </summary>
    internal static bool SetSessionIdContext(SafeSslContextHandle context, ReadOnlySpan<byte> id)
    {
        fixed (byte* bytes = id)
        {
            if (Ssl.SSL_CTX_set_session_id_context(context.Pointer, bytes, (uint)id.Length) != 1)
            {
                return false;
            }
        }

        s_sessionIdContexts.AddOrUpdate(context, id.ToArray());
        return true;
    }

    /// <summary>The session id context <see cref="SetSessionIdContext(SafeSslContextHandle, ReadOnlySpan{byte})"/> gave <paramref name="context"/>, or null.</summary>
    internal static byte[]? SessionIdContextOf(SafeSslContextHandle context) =>
        s_sessionIdContexts.TryGetValue(context, out byte[]? id) ? id : null;

    private static readonly ConditionalWeakTable<SafeSslContextHandle, byte[]> s_sessionIdContexts = new();

    internal static void SetSessionCacheMode(SafeSslContextHandle context, int mode) => Ssl.SSL_CTX_set_session_cache_mode(context.Pointer, mode);

    internal static void SetTicketCount(SafeSslContextHandle context, nuint count) => Ssl.SSL_CTX_set_num_tickets(context.Pointer, count);

    /// <summary>Gives the context the key; the context up-refs it on success, and on failure nothing changes hands.</summary>
    internal static bool UsePrivateKey(SafeSslContextHandle context, SafeEvpPKeyHandle key) => Ssl.SSL_CTX_use_PrivateKey(context.Pointer, key.Pointer) == 1;

    internal static bool CheckPrivateKey(SafeSslContextHandle context) => Ssl.SSL_CTX_check_private_key(context.Pointer) == 1;

    internal static void SetMode(SafeSslContextHandle context, long mode) => Ssl.SSL_CTX_set_mode(context.Pointer, (nint)mode);

    internal static void ClearMode(SafeSslContextHandle context, long mode) => Ssl.SSL_CTX_clear_mode(context.Pointer, (nint)mode);

    internal static bool SetMaxSendFragment(SafeSslContextHandle context, int length) => Ssl.SSL_CTX_set_max_send_fragment(context.Pointer, length) == 1;

    internal static void SetReadAhead(SafeSslContextHandle context, int readAhead) => Ssl.SSL_CTX_set_read_ahead(context.Pointer, readAhead);

    /// <summary><c>SSL_verify_cb</c> for <c>verify_client = optional_no_ca</c>: every chain is accepted (under the guard, like every callback).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int AcceptAnyCertificate(int preverifyOk, X509_STORE_CTX* store)
    {
        int accepted = 1;
        return NativeCallback.Run("certificate verification callback", ref accepted, &Accept, 0);
    }

    private static int Accept(ref int accepted) => accepted;
}
