using System.Runtime.InteropServices;

namespace OpenSslTls.Native;

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
    private const int AbiVersion = 3;

    private static readonly Lazy<Functions?> s_functions = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>For tests: makes new connections use the managed BIO even when the shim is loaded.</summary>
    internal static bool ForceManaged { get; set; }

    /// <summary>The shim's functions, or null when new connections use the managed BIO.</summary>
    internal static Functions? Active => ForceManaged ? null : s_functions.Value;

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
            (delegate* unmanaged[Cdecl]<SSL*, byte*, nuint, nuint*, int*, int>)NativeLibrary.GetExport(shim, "otls_write"));
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
    }

    /// <summary>The shim's exports. The BIO callbacks go into a BIO_METHOD; the others are called per operation.</summary>
    internal sealed class Functions(
        delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> bioRead,
        delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> bioWrite,
        delegate* unmanaged[Cdecl]<SSL*, int*, int> handshake,
        delegate* unmanaged[Cdecl]<SSL*, BioBuffers*, byte*, nuint, nuint*, int*, int> read,
        delegate* unmanaged[Cdecl]<SSL*, byte*, nuint, nuint*, int*, int> write)
    {
        public readonly delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> BioRead = bioRead;
        public readonly delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> BioWrite = bioWrite;
        public readonly delegate* unmanaged[Cdecl]<SSL*, int*, int> Handshake = handshake;
        public readonly delegate* unmanaged[Cdecl]<SSL*, BioBuffers*, byte*, nuint, nuint*, int*, int> Read = read;
        public readonly delegate* unmanaged[Cdecl]<SSL*, byte*, nuint, nuint*, int*, int> Write = write;
    }
}
