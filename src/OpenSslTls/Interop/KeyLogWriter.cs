using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// NSS key-log output (<c>keylog_file</c>) so Wireshark can decrypt a capture. One writer per file, shared by the
/// contexts that log to it: each <c>SSL_CTX</c> holds a reference through its ex_data (a GCHandle the ex_data free
/// callback releases when <c>SSL_CTX_free</c> runs, so the writer lives exactly as long as a context that may still
/// log), and the file closes when the last such context is freed. Nothing is process-wide but the table of open files.
/// </summary>
internal sealed unsafe class KeyLogWriter
{
    private static readonly Lock TableGate = new();
    private static readonly Dictionary<string, KeyLogWriter> Open = new(StringComparer.Ordinal);
    private static int s_index = -1;

    private readonly Lock _gate = new();
    private readonly string _path;
    private FileStream? _file;
    private int _references;

    private KeyLogWriter(string path, FileStream file)
    {
        _path = path;
        _file = file;
    }

    /// <summary>Whether a live context logs to <paramref name="path"/> (tests).</summary>
    internal static bool IsOpen(string path)
    {
        lock (TableGate)
        {
            return Open.ContainsKey(Path.GetFullPath(path));
        }
    }

    /// <summary>
    /// Makes <paramref name="context"/> append its secrets to <paramref name="path"/>; the file is opened by
    /// <paramref name="open"/> unless another live context already logs to it.
    /// </summary>
    internal static void Install(SafeSslContextHandle context, string path, Func<string, FileStream> open)
    {
        string fullPath = Path.GetFullPath(path);
        KeyLogWriter writer;
        lock (TableGate)
        {
            if (!Open.TryGetValue(fullPath, out writer!))
            {
                writer = new KeyLogWriter(fullPath, open(fullPath));
                Open[fullPath] = writer;
            }

            writer._references++;
        }

        GCHandle handle = GCHandle.Alloc(writer);
        int index = Index();
        if (NativeMethods.Ssl.SSL_CTX_set_ex_data(context.Pointer, index, (void*)GCHandle.ToIntPtr(handle)) != 1)
        {
            handle.Free();
            writer.Release();
            throw ErrorQueue.Drain("attaching the key log (SSL_CTX_set_ex_data)");
        }

        // From here SSL_CTX_free releases the reference (FreeWriter).
        NativeMethods.Ssl.SSL_CTX_set_keylog_callback(context.Pointer, &OnLine);
    }

    private void Release()
    {
        lock (TableGate)
        {
            if (--_references > 0)
            {
                return;
            }

            Open.Remove(_path);
        }

        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    private void Append(ReadOnlySpan<byte> line)
    {
        lock (_gate)
        {
            if (_file is null)
            {
                return;
            }

            _file.Write(line);
            _file.WriteByte((byte)'\n');
            _file.Flush();
        }
    }

    private static int Index()
    {
        if (Volatile.Read(ref s_index) >= 0)
        {
            return s_index;
        }

        lock (TableGate)
        {
            if (s_index < 0)
            {
                int index = Crypto.CRYPTO_get_ex_new_index(Crypto.CRYPTO_EX_INDEX_SSL_CTX, 0, null, null, null, &FreeWriter);
                Volatile.Write(ref s_index, index >= 0 ? index : throw ErrorQueue.Drain("CRYPTO_get_ex_new_index(SSL_CTX)"));
            }

            return s_index;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FreeWriter(void* parent, void* pointer, CRYPTO_EX_DATA* data, int index, nint argl, void* argp)
    {
        try
        {
            if (pointer != null)
            {
                GCHandle handle = GCHandle.FromIntPtr((IntPtr)pointer);
                var writer = (KeyLogWriter)handle.Target!;
                handle.Free();
                writer.Release();
            }
        }
        catch (Exception e)
        {
            NativeCallback.Record("key log release", e);
        }
    }

    /// <summary>
    /// OpenSSL's key-log callback; it logs through the writer of the connection's current context (after an SNI switch,
    /// the chosen profile's: contexts of one profile set share the file). A failed write is reported on standard error
    /// and dropped (losing a key-log line must never break a handshake); anything else is recorded through
    /// <see cref="NativeCallback"/> for the operation in progress.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLine(SSL* ssl, sbyte* line)
    {
        try
        {
            void* pointer = line == null || s_index < 0 ? null : NativeMethods.Ssl.SSL_CTX_get_ex_data(NativeMethods.Ssl.SSL_get_SSL_CTX(ssl), s_index);
            if (pointer != null)
            {
                var writer = (KeyLogWriter)GCHandle.FromIntPtr((IntPtr)pointer).Target!;
                writer.Append(MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)line));
            }
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
}
