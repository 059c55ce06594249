using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// OpenSSL's external session cache (<c>SSL_CTX_sess_set_new_cb/get_cb/remove_cb</c>) over an
/// <see cref="ISessionCacheProvider"/>, for TLS 1.2 session ids. OpenSSL's internal cache is turned off
/// (<c>SSL_SESS_CACHE_NO_INTERNAL</c>): with it on, OpenSSL calls the remove callback also for every session it evicts
/// for size and for all of them when the context is freed (every reload), which would delete live sessions from the
/// shared store; without it the remove callback means only "no longer resumable". TLS 1.3 sessions are not given to
/// the provider: they resume by tickets, and their session id is a dummy.
/// </summary>
internal static unsafe class SessionCacheCallback
{
    internal const string CallbackName = "shared session cache";

    private static readonly ManagedExDataSlot Slot = new(Crypto.CRYPTO_EX_INDEX_SSL_CTX, "the shared session cache");

    /// <summary>The provider of a context and the session id context the context was given.</summary>
    private sealed class Binding(ISessionCacheProvider provider, byte[] sessionIdContext)
    {
        public ISessionCacheProvider Provider { get; } = provider;

        public byte[] SessionIdContext { get; } = sessionIdContext;
    }

    /// <summary>
    /// Makes the server context <paramref name="context"/> keep its sessions in <paramref name="provider"/>, keyed
    /// under <paramref name="sessionIdContext"/> (the one the context was given). The context holds the provider
    /// through a GCHandle in its ex_data, released by <c>SSL_CTX_free</c>.
    /// </summary>
    internal static void Install(SafeSslContextHandle context, ISessionCacheProvider provider, byte[] sessionIdContext)
    {
        Slot.Attach(context.Pointer, new Binding(provider, sessionIdContext));
        Ssl.SSL_CTX_set_session_cache_mode(context.Pointer, Ssl.SSL_SESS_CACHE_SERVER | Ssl.SSL_SESS_CACHE_NO_INTERNAL);
        Ssl.SSL_CTX_sess_set_new_cb(context.Pointer, &OnNewSession);
        Ssl.SSL_CTX_sess_set_get_cb(context.Pointer, &OnGetSession);
        Ssl.SSL_CTX_sess_set_remove_cb(context.Pointer, &OnRemoveSession);
    }

    /// <summary>
    /// A session to keep. OpenSSL took a reference for this callback before calling it; returning 0 tells it this
    /// callback kept none, so OpenSSL drops that reference again: the session is copied out as DER, never held.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnNewSession(SSL* ssl, SSL_SESSION* session)
    {
        byte[]? der = null;
        int length = 0;
        try
        {
            // The callbacks of the context that received the ClientHello run (the session context); the session is
            // kept under its own session id context (the current context's, after an SNI switch).
            if (Slot.Get<Binding>(Ssl.SSL_get_SSL_CTX(ssl)) is not { } binding
                || Ssl.SSL_SESSION_get_protocol_version(session) >= Ssl.TLS1_3_VERSION)
            {
                return 0;
            }

            uint idLength = 0;
            byte* id = Ssl.SSL_SESSION_get_id(session, &idLength);
            length = Ssl.i2d_SSL_SESSION(session, null);
            if (idLength == 0 || length <= 0)
            {
                Crypto.ERR_clear_error();
                return 0;
            }

            der = GC.AllocateUninitializedArray<byte>(length, pinned: true);
            fixed (byte* start = der)
            {
                byte* cursor = start;
                if (Ssl.i2d_SSL_SESSION(session, &cursor) != length)
                {
                    Crypto.ERR_clear_error();
                    return 0;
                }
            }

            var lifetime = TimeSpan.FromSeconds(Math.Max(0, (long)Ssl.SSL_SESSION_get_timeout(session)));
            binding.Provider.Add(ContextOf(session), new ReadOnlySpan<byte>(id, (int)idLength), der, lifetime);
            return 0;
        }
        catch (Exception e)
        {
            NativeCallback.Record(CallbackName, e);
            return 0;
        }
        finally
        {
            // The DER holds the master secret: never left behind in the managed heap.
            if (der is not null)
            {
                CryptographicOperations.ZeroMemory(der);
            }
        }
    }

    /// <summary>
    /// A session id a client offered that is not in the (disabled) internal cache. Returns a new session decoded from
    /// the provider's DER with <c>*copy = 0</c>: the reference <c>d2i_SSL_SESSION</c> made is handed to OpenSSL, which
    /// frees it with the connection. OpenSSL then checks its session id context, protocol and expiry itself.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static SSL_SESSION* OnGetSession(SSL* ssl, byte* sessionId, int sessionIdLength, int* copy)
    {
        *copy = 0;
        byte[]? der = null;
        try
        {
            if (Slot.Get<Binding>(Ssl.SSL_get_SSL_CTX(ssl)) is not { } binding || sessionIdLength <= 0)
            {
                return null;
            }

            der = binding.Provider.Find(binding.SessionIdContext, new ReadOnlySpan<byte>(sessionId, sessionIdLength));
            if (der is null)
            {
                return null;
            }

            fixed (byte* start = der)
            {
                byte* cursor = start;
                SSL_SESSION* session = Ssl.d2i_SSL_SESSION(null, &cursor, der.Length);
                if (session is null)
                {
                    // Undecodable (another OpenSSL's encoding, or a bug): a full handshake, not a failed one.
                    Crypto.ERR_clear_error();
                }

                return session;
            }
        }
        catch (Exception e)
        {
            NativeCallback.Record(CallbackName, e);
            return null;
        }
        finally
        {
            if (der is not null)
            {
                CryptographicOperations.ZeroMemory(der);
            }
        }
    }

    /// <summary>A session OpenSSL will not resume again; the callback borrows it (no reference changes hands).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnRemoveSession(SSL_CTX* ctx, SSL_SESSION* session)
    {
        try
        {
            if (Slot.Get<Binding>(ctx) is not { } binding || Ssl.SSL_SESSION_get_protocol_version(session) >= Ssl.TLS1_3_VERSION)
            {
                return;
            }

            uint idLength = 0;
            byte* id = Ssl.SSL_SESSION_get_id(session, &idLength);
            if (idLength > 0)
            {
                binding.Provider.Remove(ContextOf(session), new ReadOnlySpan<byte>(id, (int)idLength));
            }
        }
        catch (Exception e)
        {
            NativeCallback.Record(CallbackName, e);
        }
    }

    /// <summary>The session id context a session carries (OpenSSL resumes it only under the same one).</summary>
    private static ReadOnlySpan<byte> ContextOf(SSL_SESSION* session)
    {
        uint length = 0;
        byte* context = Ssl.SSL_SESSION_get0_id_context(session, &length);
        return new ReadOnlySpan<byte>(context, (int)length);
    }
}
