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
internal sealed unsafe class KeyLogWriter : IExDataReleased
{
    private static readonly Lock TableGate = new();
    private static readonly Dictionary<string, KeyLogWriter> Open = new(StringComparer.Ordinal);
    private static readonly ManagedExDataSlot Slot = new(Crypto.CRYPTO_EX_INDEX_SSL_CTX, "the key log");

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

        try
        {
            Slot.Attach(context.Pointer, writer);
        }
        catch
        {
            writer.Release();
            throw;
        }

        // From here SSL_CTX_free releases the reference (OnExDataReleased).
        NativeMethods.Ssl.SSL_CTX_set_keylog_callback(context.Pointer, &OnLine);
    }

    /// <summary>The context holding this reference was freed.</summary>
    public void OnExDataReleased() => Release();

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
            if (line != null && Slot.Get<KeyLogWriter>(NativeMethods.Ssl.SSL_get_SSL_CTX(ssl)) is { } writer)
            {
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
