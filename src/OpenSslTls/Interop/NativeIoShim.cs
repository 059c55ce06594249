using System.Runtime.InteropServices;

namespace OpenSslTls.Interop;

/// <summary>
/// The optional C half of the caller-buffer BIO (<c>native/io</c>, <c>libopenssltls_io.so</c> next to
/// <c>OpenSslTls.dll</c>): BIO read/write callbacks and the per-operation libssl loops in C, so a record-path operation
/// crosses between managed and native code once instead of four to six times (docs/benchmarks.md). When the library
/// is missing, has another ABI version, or <c>OPENSSLTLS_IO_SHIM=off</c>, connections use the managed BIO instead;
/// both paths behave the same and the tests run both.
/// </summary>
internal static unsafe class NativeIoShim
{
    internal const string LibraryFileName = "libopenssltls_io.so";
    internal const string Variable = "OPENSSLTLS_IO_SHIM";
    private const int AbiVersion = 4;

    private static readonly Lazy<Functions?> s_functions = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The shim's functions, or null when it is absent or turned off: then every engine uses the managed BIO
    /// (<see cref="SslEngineIo"/> chooses per connection when it is loaded).
    /// </summary>
    internal static Functions? Loaded => s_functions.Value;

    /// <summary>The shim's live BIO states (0 without the shim): every native-path connection holds one until SSL_free.</summary>
    internal static long LiveIoBlocks => s_functions.Value?.LiveIoBlocks ?? 0;

    /// <summary>Where the shim was loaded from, or why not (for diagnostics and tests).</summary>
    internal static string Status { get; private set; } = "not loaded yet";

    private static Functions? Load()
    {
        string? setting = Environment.GetEnvironmentVariable(Variable);
        if (setting is "off" or "0" or "false")
        {
            Status = $"disabled by {Variable}={setting}";
            return null;
        }

        string path = string.IsNullOrEmpty(setting) || setting is "on" or "1" or "true"
            ? Path.Combine(AppContext.BaseDirectory, LibraryFileName)
            : setting;
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(path, out IntPtr shim))
        {
            Status = $"not found at '{path}': using the managed BIO";
            return null;
        }

        var version = (delegate* unmanaged[Cdecl]<int>)NativeLibrary.GetExport(shim, "otls_version");
        if (version() != AbiVersion)
        {
            Status = $"'{path}' has ABI version {version()}, expected {AbiVersion}: using the managed BIO";
            return null;
        }

        var ioSize = (delegate* unmanaged[Cdecl]<nuint>)NativeLibrary.GetExport(shim, "otls_io_size");
        if (ioSize() != (nuint)sizeof(BioBuffers))
        {
            Status = $"'{path}' has another BioBuffers layout ({ioSize()} bytes, expected {sizeof(BioBuffers)}): using the managed BIO";
            return null;
        }

        // The shim does not link OpenSSL: it gets the functions of the libraries this process already loaded for
        // OpenSslTls, so both halves always drive the same libssl (never a second copy from the default search path).
        (IntPtr libSsl, IntPtr libCrypto) = NativeLibraryLoader.EnsureLoaded();
        Api api = new()
        {
            SslDoHandshake = NativeLibrary.GetExport(libSsl, "SSL_do_handshake"),
            SslReadEx = NativeLibrary.GetExport(libSsl, "SSL_read_ex"),
            SslWriteEx = NativeLibrary.GetExport(libSsl, "SSL_write_ex"),
            SslGetError = NativeLibrary.GetExport(libSsl, "SSL_get_error"),
            SslHasPending = NativeLibrary.GetExport(libSsl, "SSL_has_pending"),
            BioGetData = NativeLibrary.GetExport(libCrypto, "BIO_get_data"),
            BioSetFlags = NativeLibrary.GetExport(libCrypto, "BIO_set_flags"),
            BioClearFlags = NativeLibrary.GetExport(libCrypto, "BIO_clear_flags"),
            SslNew = NativeLibrary.GetExport(libSsl, "SSL_new"),
            SslFree = NativeLibrary.GetExport(libSsl, "SSL_free"),
            SslSetBio = NativeLibrary.GetExport(libSsl, "SSL_set_bio"),
            SslSetAcceptState = NativeLibrary.GetExport(libSsl, "SSL_set_accept_state"),
            SslSetConnectState = NativeLibrary.GetExport(libSsl, "SSL_set_connect_state"),
            SslSetQuietShutdown = NativeLibrary.GetExport(libSsl, "SSL_set_quiet_shutdown"),
            SslShutdown = NativeLibrary.GetExport(libSsl, "SSL_shutdown"),
            BioNew = NativeLibrary.GetExport(libCrypto, "BIO_new"),
            BioFree = NativeLibrary.GetExport(libCrypto, "BIO_free"),
            BioSetData = NativeLibrary.GetExport(libCrypto, "BIO_set_data"),
            BioSetInit = NativeLibrary.GetExport(libCrypto, "BIO_set_init"),
            ErrClearError = NativeLibrary.GetExport(libCrypto, "ERR_clear_error"),
        };
        var init = (delegate* unmanaged[Cdecl]<Api*, nuint, int>)NativeLibrary.GetExport(shim, "otls_init");
        if (init(&api, (nuint)sizeof(Api)) != 1)
        {
            Status = $"'{path}' refused its function table: using the managed BIO";
            return null;
        }

        Status = $"loaded from '{path}'";
        return new Functions(
            (delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int>)NativeLibrary.GetExport(shim, "otls_bio_read"),
            (delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int>)NativeLibrary.GetExport(shim, "otls_bio_write"),
            (delegate* unmanaged[Cdecl]<SSL*, int*, int>)NativeLibrary.GetExport(shim, "otls_handshake"),
            (delegate* unmanaged[Cdecl]<SSL*, BioBuffers*, byte*, nuint, nuint*, int*, int>)NativeLibrary.GetExport(shim, "otls_read"),
            (delegate* unmanaged[Cdecl]<SSL*, byte*, nuint, nuint*, int*, int>)NativeLibrary.GetExport(shim, "otls_write"),
            (delegate* unmanaged[Cdecl]<BIO*, int>)NativeLibrary.GetExport(shim, "otls_bio_destroy"),
            (delegate* unmanaged[Cdecl]<SSL_CTX*, BIO_METHOD*, int, BioBuffers**, SSL*>)NativeLibrary.GetExport(shim, "otls_connection_new"),
            (delegate* unmanaged[Cdecl]<SSL*, BioBuffers*, void>)NativeLibrary.GetExport(shim, "otls_connection_close_quietly"),
            (delegate* unmanaged[Cdecl]<nint>)NativeLibrary.GetExport(shim, "otls_live_io"));
    }

    /// <summary>The function table <c>otls_init</c> copies; same order and layout as <c>otls_api</c> in C.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Api
    {
        public IntPtr SslDoHandshake;
        public IntPtr SslReadEx;
        public IntPtr SslWriteEx;
        public IntPtr SslGetError;
        public IntPtr SslHasPending;
        public IntPtr BioGetData;
        public IntPtr BioSetFlags;
        public IntPtr BioClearFlags;
        public IntPtr SslNew;
        public IntPtr SslFree;
        public IntPtr SslSetBio;
        public IntPtr SslSetAcceptState;
        public IntPtr SslSetConnectState;
        public IntPtr SslSetQuietShutdown;
        public IntPtr SslShutdown;
        public IntPtr BioNew;
        public IntPtr BioFree;
        public IntPtr BioSetData;
        public IntPtr BioSetInit;
        public IntPtr ErrClearError;
    }

    /// <summary>
    /// The shim's exports. The BIO callbacks go into a BIO_METHOD; the record loops are called per operation;
    /// <see cref="ConnectionNew"/> and <see cref="CloseQuietly"/> replace the seven set-up and three teardown calls of a
    /// connection with one each (a resumed TLS 1.2 handshake pair is ~72 µs, so per-connection crossings show).
    /// </summary>
    internal sealed class Functions(
        delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> bioRead,
        delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> bioWrite,
        delegate* unmanaged[Cdecl]<SSL*, int*, int> handshake,
        delegate* unmanaged[Cdecl]<SSL*, BioBuffers*, byte*, nuint, nuint*, int*, int> read,
        delegate* unmanaged[Cdecl]<SSL*, byte*, nuint, nuint*, int*, int> write,
        delegate* unmanaged[Cdecl]<BIO*, int> bioDestroy,
        delegate* unmanaged[Cdecl]<SSL_CTX*, BIO_METHOD*, int, BioBuffers**, SSL*> connectionNew,
        delegate* unmanaged[Cdecl]<SSL*, BioBuffers*, void> closeQuietly,
        delegate* unmanaged[Cdecl]<nint> liveIo)
    {
        public readonly delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> BioRead = bioRead;
        public readonly delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> BioWrite = bioWrite;
        public readonly delegate* unmanaged[Cdecl]<SSL*, int*, int> Handshake = handshake;
        public readonly delegate* unmanaged[Cdecl]<SSL*, BioBuffers*, byte*, nuint, nuint*, int*, int> Read = read;
        public readonly delegate* unmanaged[Cdecl]<SSL*, byte*, nuint, nuint*, int*, int> Write = write;

        /// <summary>The native BIO method's destroy callback: frees the BIO's <see cref="BioBuffers"/> and spill buffer in C.</summary>
        public readonly delegate* unmanaged[Cdecl]<BIO*, int> BioDestroy = bioDestroy;

        /// <summary>SSL_new + BIO_new + state + SSL_set_bio (+ accept or connect state); null on failure, nothing leaked.</summary>
        public readonly delegate* unmanaged[Cdecl]<SSL_CTX*, BIO_METHOD*, int, BioBuffers**, SSL*> ConnectionNew = connectionNew;

        /// <summary>Quiet shutdown with the BIO detached, then ERR_clear_error.</summary>
        public readonly delegate* unmanaged[Cdecl]<SSL*, BioBuffers*, void> CloseQuietly = closeQuietly;

        private readonly delegate* unmanaged[Cdecl]<nint> _liveIo = liveIo;

        /// <summary>BIO states made by <see cref="ConnectionNew"/> and not yet freed (for the tests' leak checks).</summary>
        public long LiveIoBlocks => _liveIo();
    }
}
