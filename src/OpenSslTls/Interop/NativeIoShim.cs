using System.Runtime.InteropServices;

namespace OpenSslTls.Interop;

/// <summary>
/// The optional C half of the caller-buffer BIO (<c>native/io</c>, <c>libopenssltls_io.so</c>): BIO read/write
/// callbacks and the per-operation libssl loops in C, so a record-path operation crosses between managed and native
/// code once instead of four to six times (docs/benchmarks.md). When the library is missing, has another ABI version,
/// or <c>OPENSSLTLS_IO_SHIM=off</c>, connections use the managed BIO instead; both paths behave the same and the tests
/// run both. <c>OPENSSLTLS_IO_SHIM=required</c> turns a missing shim into an error instead (<see cref="Loaded"/> throws).
/// </summary>
internal static unsafe class NativeIoShim
{
    internal const string LibraryFileName = "libopenssltls_io.so";
    internal const string Variable = "OPENSSLTLS_IO_SHIM";
    internal const string RequiredSetting = "required";
    private const int AbiVersion = 5;

    private static readonly Lazy<Functions?> s_functions = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The shim's functions, or null when it is absent or turned off: then every engine uses the managed BIO
    /// (<see cref="SslEngineIo"/> chooses per connection when it is loaded). With <c>OPENSSLTLS_IO_SHIM=required</c>
    /// a shim that cannot be loaded throws <see cref="InvalidOperationException"/> naming every path tried, on every call.
    /// </summary>
    internal static Functions? Loaded => s_functions.Value;

    /// <summary>The shim's live BIO states (0 without the shim): every native-path connection holds one until SSL_free.</summary>
    internal static long LiveIoBlocks => s_functions.Value?.LiveIoBlocks ?? 0;

    /// <summary>Where the shim was loaded from, or why not (for diagnostics and tests).</summary>
    internal static string Status { get; private set; } = "not loaded yet";

    /// <summary>The file the shim was loaded from; null when it is not loaded.</summary>
    internal static string? LoadedPath { get; private set; }

    /// <summary>Whether <c>OPENSSLTLS_IO_SHIM=required</c>: start-up fails when the shim cannot be loaded.</summary>
    internal static bool IsRequired => string.Equals(Environment.GetEnvironmentVariable(Variable), RequiredSetting, StringComparison.OrdinalIgnoreCase);

    private static Functions? Load()
    {
        string? setting = Environment.GetEnvironmentVariable(Variable);
        if (setting is "off" or "0" or "false")
        {
            Status = $"disabled by {Variable}={setting}";
            return null;
        }

        bool required = string.Equals(setting, RequiredSetting, StringComparison.OrdinalIgnoreCase);
        bool search = required || string.IsNullOrEmpty(setting) || setting is "on" or "1" or "true";
        var tried = new List<string>();
        Functions? functions = null;
        if (!OperatingSystem.IsLinux())
        {
            tried.Add($"none: {LibraryFileName} is built for Linux only");
        }
        else if (!search)
        {
            // Any other value is the shim's path, and only that file is tried.
            functions = TryLoadFile(setting!, tried);
        }
        else
        {
            foreach (string path in CandidatePaths())
            {
                functions = TryLoadFile(path, tried);
                if (functions is not null)
                {
                    break;
                }
            }

            functions ??= TryLoadByName(tried);
        }

        if (functions is not null)
        {
            return functions;
        }

        Status = $"not loaded, tried {string.Join("; ", tried)}: using the managed BIO";
        if (required)
        {
            throw new InvalidOperationException(
                $"{Variable}={setting}, but the C I/O shim {LibraryFileName} could not be loaded; tried: {string.Join("; ", tried)}. " +
                $"Install or copy {LibraryFileName} beside OpenSslTls.dll (or unset {Variable} to use the managed BIO).");
        }

        return null;
    }

    /// <summary>
    /// Where the shim may be, in order: the native asset directories of the app's deps.json for this runtime
    /// (<c>NATIVE_DLL_SEARCH_DIRECTORIES</c>: where the SDK puts a package's <c>runtimes/linux-x64/native/</c> files,
    /// e.g. <c>bin/.../runtimes/linux-x64/native/</c>), then the directory of OpenSslTls.dll, then the app's base directory.
    /// </summary>
    internal static IReadOnlyList<string> CandidatePaths()
    {
        var paths = new List<string>();
        void Add(string? directory)
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                return;
            }

            string path = Path.GetFullPath(Path.Combine(directory.Trim(), LibraryFileName));
            if (!paths.Contains(path, StringComparer.Ordinal))
            {
                paths.Add(path);
            }
        }

        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string directories)
        {
            // The list starts with the shared framework's own directory, where no app's library is.
            string framework = Path.GetFullPath(RuntimeEnvironment.GetRuntimeDirectory());
            foreach (string directory in directories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                if (!string.Equals(Path.GetFullPath(Path.Combine(directory.Trim(), ".")).TrimEnd('/') + "/", framework.TrimEnd('/') + "/", StringComparison.Ordinal))
                {
                    Add(directory);
                }
            }
        }

        // Empty for an assembly loaded from bytes or bundled into a single-file app; the base directory covers those.
#pragma warning disable IL3000 // An empty Location is handled: Add skips it.
        Add(Path.GetDirectoryName(typeof(NativeIoShim).Assembly.Location));
#pragma warning restore IL3000
        Add(AppContext.BaseDirectory);
        return paths;
    }

    private static Functions? TryLoadFile(string path, List<string> tried)
    {
        if (!File.Exists(path))
        {
            tried.Add($"'{path}' (absent)");
            return null;
        }

        IntPtr shim;
        try
        {
            shim = NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            tried.Add($"'{path}' ({e.Message})");
            return null;
        }

        return Initialize(shim, path, tried);
    }

    // Last: the runtime's own search for a library of OpenSslTls.dll (an AssemblyLoadContext's resolver, the
    // deps.json directories, the assembly directory, then the system's dlopen search such as LD_LIBRARY_PATH).
    private static Functions? TryLoadByName(List<string> tried)
    {
        if (!NativeLibrary.TryLoad(LibraryFileName, typeof(NativeIoShim).Assembly, DllImportSearchPath.AssemblyDirectory, out IntPtr shim))
        {
            tried.Add($"'{LibraryFileName}' by the runtime's library search (not found)");
            return null;
        }

        string path = MappedPath(LibraryFileName) ?? LibraryFileName;
        return Initialize(shim, path, tried);
    }

    /// <summary>The file of a loaded library named <paramref name="fileName"/> in this process's memory map, if any.</summary>
    private static string? MappedPath(string fileName)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && line.EndsWith("/" + fileName, StringComparison.Ordinal))
                {
                    return line[slash..];
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static Functions? Initialize(IntPtr shim, string path, List<string> tried)
    {
        if (!NativeLibrary.TryGetExport(shim, "otls_version", out IntPtr versionExport))
        {
            tried.Add($"'{path}' (not the OpenSslTls I/O shim: no otls_version)");
            NativeLibrary.Free(shim);
            return null;
        }

        var version = (delegate* unmanaged[Cdecl]<int>)versionExport;
        if (version() != AbiVersion)
        {
            tried.Add($"'{path}' (ABI version {version()}, expected {AbiVersion})");
            NativeLibrary.Free(shim);
            return null;
        }

        var ioSize = (delegate* unmanaged[Cdecl]<nuint>)NativeLibrary.GetExport(shim, "otls_io_size");
        if (ioSize() != (nuint)sizeof(BioBuffers))
        {
            tried.Add($"'{path}' (another BioBuffers layout: {ioSize()} bytes, expected {sizeof(BioBuffers)})");
            NativeLibrary.Free(shim);
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
            tried.Add($"'{path}' (refused its function table)");
            NativeLibrary.Free(shim);
            return null;
        }

        Status = $"loaded from '{path}'";
        LoadedPath = path;
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
