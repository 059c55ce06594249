using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// Server-side SNI profile switching. Every server <c>SSL_CTX</c> gets a ClientHello callback, which reads the SNI
/// and switches before OpenSSL chooses the protocol version, so the chosen profile's <c>method</c> applies too; the
/// servername callback only acknowledges the name. A connection created
/// with an <see cref="IServerNameChooser"/> stores its state in the <c>SSL</c>'s ex_data through a GCHandle released
/// with the SSL (<see cref="ManagedExDataSlot.FreeSsl"/>), so native code never keeps it alive longer than the SSL.
/// A chooser that throws fails the handshake with an alert; the exception goes to <see cref="NativeCallback"/>.
/// A chooser that cannot decide yet (an asynchronous selection) makes the ClientHello callback return
/// <c>SSL_CLIENT_HELLO_RETRY</c>: <c>SSL_do_handshake</c> then reports <c>SSL_ERROR_WANT_CLIENT_HELLO_CB</c> with the
/// ClientHello kept inside libssl, and the next <c>SSL_do_handshake</c> calls the callback again, which asks the
/// chooser again. No thread waits in between.
/// </summary>
internal static unsafe class ServerNameSwitch
{
    private static readonly ManagedExDataSlot Slot = new(Crypto.CRYPTO_EX_INDEX_SSL, "the SNI selector");

    /// <summary>The callback name a chooser's exception is reported under.</summary>
    internal const string CallbackName = "SNI profile selector";

    /// <summary>Per-connection switching state; references the chooser, never the connection.</summary>
    internal sealed class State(IServerNameChooser chooser)
    {
        public IServerNameChooser Chooser { get; } = chooser;

        /// <summary>
        /// True once the chooser decided (OpenSSL calls the ClientHello callback again after a HelloRetryRequest, and
        /// after a suspension; only the latter asks the chooser again).
        /// </summary>
        public bool Decided { get; set; }
    }

    /// <summary>Installs the servername callback on a server context.</summary>
    internal static void Install(SSL_CTX* ctx)
    {
        Ssl.SSL_CTX_set_client_hello_cb(ctx, &OnClientHello, null);
        Ssl.SSL_CTX_set_tlsext_servername_callback(ctx, &OnServerName);
    }

    /// <summary>Attaches <paramref name="state"/> to <paramref name="ssl"/>; the SSL owns the handle from here on.</summary>
    internal static void Attach(SSL* ssl, State state)
    {
        Slot.Attach(ssl, state);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnClientHello(SSL* ssl, int* alert, void* argument)
    {
        try
        {
            State? state = Slot.Get<State>(ssl);
            if (state is null || state.Decided)
            {
                return Ssl.SSL_CLIENT_HELLO_SUCCESS;
            }

            byte* extension = null;
            nuint length = 0;
            string? name = null;
            bool named = Ssl.SSL_client_hello_get0_ext(ssl, Ssl.TLSEXT_TYPE_server_name, &extension, &length) == 1
                && TryReadHostName(new ReadOnlySpan<byte>(extension, checked((int)length)), out name);
            if (!named && !state.Chooser.ChoosesWithoutServerName)
            {
                return Ssl.SSL_CLIENT_HELLO_SUCCESS; // no usable SNI: keep the address-selected profile
            }

            ServerNameDecision decision = state.Chooser.Choose(name);
            switch (decision.Outcome)
            {
                case ServerNameOutcome.Wait:
                    // libssl keeps the ClientHello and calls this callback again on the next SSL_do_handshake.
                    return Ssl.SSL_CLIENT_HELLO_RETRY;
                case ServerNameOutcome.Refuse:
                    state.Decided = true;
                    *alert = Ssl.SSL_AD_UNRECOGNIZED_NAME;
                    return Ssl.SSL_CLIENT_HELLO_ERROR;
            }

            state.Decided = true;
            Apply(ssl, decision);
            return Ssl.SSL_CLIENT_HELLO_SUCCESS;
        }
        catch (Exception e)
        {
            // Never let an exception cross into OpenSSL: fail this handshake with an alert, the connection reports it.
            NativeCallback.Record(CallbackName, e);
            *alert = Ssl.SSL_AD_INTERNAL_ERROR;
            return Ssl.SSL_CLIENT_HELLO_ERROR;
        }
    }

    /// <summary>Switches to the decision's context (when set) and attaches its validator when the connection has none yet.</summary>
    private static void Apply(SSL* ssl, ServerNameDecision decision)
    {
        if (decision.Context is { } context)
        {
            SwitchTo(ssl, context);
        }

        if (decision.Validator is { } validator && PeerCertificateCheck.Find(ssl) is null)
        {
            PeerCertificateCheck.AttachValidator(ssl, validator);
        }
    }

    /// <summary>The server_name extension body (RFC 6066 §3): list length, then entries of type, length, name; the host_name entry.</summary>
    private static bool TryReadHostName(ReadOnlySpan<byte> body, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
    {
        name = null;
        if (body.Length < 2 || ((body[0] << 8) | body[1]) != body.Length - 2)
        {
            return false;
        }

        ReadOnlySpan<byte> list = body[2..];
        while (list.Length >= 3)
        {
            int entryLength = (list[1] << 8) | list[2];
            if (list.Length < 3 + entryLength)
            {
                return false;
            }

            if (list[0] == Ssl.TLSEXT_NAMETYPE_host_name && entryLength > 0)
            {
                name = System.Text.Encoding.ASCII.GetString(list.Slice(3, entryLength));
                return true;
            }

            list = list[(3 + entryLength)..];
        }

        return false;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnServerName(SSL* ssl, int* alert, void* argument)
    {
        try
        {
            State? state = Slot.Get<State>(ssl);
            if (state is null)
            {
                return Ssl.SSL_TLSEXT_ERR_NOACK;
            }

            string? name = Utf8Z.ToString(Ssl.SSL_get_servername(ssl, Ssl.TLSEXT_NAMETYPE_host_name));
            if (string.IsNullOrEmpty(name))
            {
                return Ssl.SSL_TLSEXT_ERR_NOACK;
            }

            if (!state.Decided)
            {
                // Only reached when the ClientHello callback found no name OpenSSL did: a synchronous chooser's case
                // (an asynchronous one decides in the ClientHello callback, whose decision this never overrides).
                state.Decided = true;
                ServerNameDecision decision = state.Chooser.Choose(name);
                if (decision.Outcome == ServerNameOutcome.Refuse)
                {
                    *alert = Ssl.SSL_AD_UNRECOGNIZED_NAME;
                    return Ssl.SSL_TLSEXT_ERR_ALERT_FATAL;
                }

                if (decision.Outcome == ServerNameOutcome.Proceed)
                {
                    Apply(ssl, decision);
                }
            }

            return Ssl.SSL_TLSEXT_ERR_OK;
        }
        catch (Exception e)
        {
            // Never let an exception cross into OpenSSL: fail this handshake with an alert, the connection reports it.
            NativeCallback.Record(CallbackName, e);
            *alert = Ssl.SSL_AD_INTERNAL_ERROR;
            return Ssl.SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }

    /// <summary>The verify callback equivalent to none: OpenSSL's verdict on each certificate stands.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static int KeepVerdict(int preverifyOk, X509_STORE_CTX* store) => preverifyOk;

    private static void SwitchTo(SSL* ssl, SafeSslContextHandle context)
    {
        var lease = new HandleLease(context);
        try
        {
            SSL_CTX* ctx = context.Pointer;

            // SSL_set_SSL_CTX up-refs the new context and drops the SSL's reference to the old one; it swaps the
            // certificates but not the verification settings or options, so copy those: a switch must never leave the
            // weaker verify mode of the address-selected profile in place.
            Ssl.SSL_set_SSL_CTX(ssl, ctx);

            // Each profile has its own session id context; the switched connection takes the chosen one's, so a session
            // or ticket issued under another profile (looked up in, or decrypted with, the first context's cache and
            // keys, which SSL_set_SSL_CTX keeps) does not match and the handshake is a full one under this profile's rules.
            if (SslContextNative.SessionIdContextOf(context) is { } id)
            {
                fixed (byte* bytes = id)
                {
                    if (Ssl.SSL_set_session_id_context(ssl, bytes, (uint)id.Length) != 1)
                    {
                        throw ErrorQueue.Drain("SNI switch: SSL_set_session_id_context");
                    }
                }
            }

            // SSL_set_verify ignores a NULL callback and keeps the old one: switching from an optional_no_ca profile
            // (whose callback accepts every certificate) to one without a callback would keep accepting anything.
            // A callback that returns OpenSSL's own verdict is what "no callback" means, so it stands in for NULL.
            delegate* unmanaged[Cdecl]<int, X509_STORE_CTX*, int> callback = Ssl.SSL_CTX_get_verify_callback(ctx);
            Ssl.SSL_set_verify(ssl, Ssl.SSL_CTX_get_verify_mode(ctx), callback != null ? callback : &KeepVerdict);
            Ssl.SSL_set_verify_depth(ssl, Ssl.SSL_CTX_get_verify_depth(ctx));

            // The protocol range too (from the ClientHello callback, before OpenSSL picks the version).
            Ssl.SSL_ctrl(ssl, Ssl.SSL_CTRL_SET_MIN_PROTO_VERSION, Ssl.SSL_CTX_get_min_proto_version(ctx), null);
            Ssl.SSL_ctrl(ssl, Ssl.SSL_CTRL_SET_MAX_PROTO_VERSION, Ssl.SSL_CTX_get_max_proto_version(ctx), null);
            ulong wanted = Ssl.SSL_CTX_get_options(ctx);
            Ssl.SSL_clear_options(ssl, Ssl.SSL_get_options(ssl) & ~wanted);
            Ssl.SSL_set_options(ssl, wanted);
        }
        finally
        {
            lease.Dispose();
        }
    }
}
