using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// NSS key-log output (<c>keylog_file</c>) so Wireshark can decrypt a capture. Process-wide like OpenSSL's own
/// SSLKEYLOGFILE support: contexts built while it is enabled get the callback, which appends one line per secret.
/// </summary>
internal static unsafe class KeyLogWriter
{
    private static readonly Lock Gate = new();
    private static string? s_path;

    internal static bool IsEnabled => Volatile.Read(ref s_path) is not null;

    /// <summary>Enables (a path) or disables (null) key logging for contexts built from now on.</summary>
    internal static void Configure(string? path) => Volatile.Write(ref s_path, path);

    internal static void Install(SSL_CTX* ctx)
    {
        if (IsEnabled)
        {
            Ssl.SSL_CTX_set_keylog_callback(ctx, &OnLine);
        }
    }

    /// <summary>
    /// OpenSSL's key-log callback. Nothing may escape into native code: a failed write is reported on standard error
    /// and dropped (losing a key-log line must never break a handshake); anything else is recorded through
    /// <see cref="NativeCallback"/> for the operation in progress.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLine(SSL* ssl, sbyte* line)
    {
        try
        {
            Append(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("openssltls: keylog_file write failed: " + e.Message);
        }
        catch (Exception e)
        {
            NativeCallback.Record("key log callback", e);
        }
    }

    private static void Append(sbyte* line)
    {
        string? path = Volatile.Read(ref s_path);
        if (path is null || line == null)
        {
            return;
        }

        var text = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)line);
        lock (Gate)
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            file.Write(text);
            file.WriteByte((byte)'\n');
        }
    }
}
