using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// OpenSSL's key-log callback (<c>SSL_CTX_set_keylog_callback</c>): hands every line to the <see cref="IKeyLogTarget"/>
/// of the connection's current context. Which lines go where (file, UDP peer, log, filter) is the target's business.
/// </summary>
internal static unsafe class KeyLogCallback
{
    private static readonly ManagedExDataSlot Slot = new(Crypto.CRYPTO_EX_INDEX_SSL_CTX, "the key log");

    /// <summary>
    /// Makes <paramref name="context"/> log its secrets to <paramref name="target"/>. On success the context owns the
    /// target (released when the context is freed); on failure the caller still does.
    /// </summary>
    internal static void Install(SafeSslContextHandle context, IKeyLogTarget target)
    {
        Slot.Attach(context.Pointer, target);

        // From here SSL_CTX_free releases the target (IExDataReleased).
        Ssl.SSL_CTX_set_keylog_callback(context.Pointer, &OnLine);
    }

    /// <summary>
    /// Logs through the target of the connection's current context (after an SNI switch, the chosen profile's). The
    /// target reports its own I/O failures (losing a key-log line must never break a handshake); anything else is
    /// recorded through <see cref="NativeCallback"/> for the operation in progress.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLine(SSL* ssl, sbyte* line)
    {
        try
        {
            if (line != null && Slot.Get<IKeyLogTarget>(NativeMethods.Ssl.SSL_get_SSL_CTX(ssl)) is { } target)
            {
                target.Write(MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)line));
            }
        }
        catch (Exception e)
        {
            NativeCallback.Record("key log callback", e);
        }
    }
}
