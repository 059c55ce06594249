using OpenSslTls.Interop;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.OpenSsl;

/// <summary>
/// Loads and checks OpenSSL once per process. Every entry point of the library calls <see cref="EnsureInitialized"/>;
/// call <see cref="Initialize"/> first to choose library paths or <c>tls_force_run</c>.
/// </summary>
public static class OpenSslRuntime
{
    private static readonly Lock Gate = new();
    private static volatile bool s_initialized;
    private static OpenSslVersion s_version;

    /// <summary>The major.minor (patch 0) of the OpenSSL headers the bindings were generated from.</summary>
    public static OpenSslVersion BindingsVersion { get; } = new(Crypto.OPENSSL_VERSION_MAJOR, Crypto.OPENSSL_VERSION_MINOR, 0);

    /// <summary>The version of the OpenSSL this process loaded.</summary>
    public static OpenSslVersion Version
    {
        get
        {
            EnsureInitialized();
            return s_version;
        }
    }

    /// <summary>Whether <see cref="Initialize"/> (explicitly or through first use) has completed.</summary>
    public static bool IsInitialized => s_initialized;

    /// <summary>
    /// Loads OpenSSL with <paramref name="options"/>, checks its version against <see cref="BindingsVersion"/> and
    /// initialises libssl. Idempotent: a second call does nothing. Throws <see cref="OpenSslVersionException"/> when the
    /// version is refused, <see cref="DllNotFoundException"/> when the libraries cannot be found, and
    /// <see cref="InvalidOperationException"/> when <c>OPENSSLTLS_IO_SHIM=required</c> and the C I/O shim cannot be loaded.
    /// </summary>
    public static void Initialize(OpenSslRuntimeOptions? options = null)
    {
        if (s_initialized)
        {
            return;
        }

        lock (Gate)
        {
            if (s_initialized)
            {
                return;
            }

            options ??= new OpenSslRuntimeOptions();
            NativeLibraryLoader.SetOverrides(options.LibSslPath, options.LibCryptoPath);

            var runtime = OpenSslVersion.FromNumber(OpenSslLibrary.VersionNumber());
            VersionGate.Check(runtime, BindingsVersion, options.ForceRun, options.Logger);

            OpenSslLibrary.InitSsl();

            // OPENSSLTLS_IO_SHIM=required: fail here, at start-up, rather than fall back to the managed BIO unseen.
            if (NativeIoShim.IsRequired)
            {
                _ = NativeIoShim.Loaded;
            }

            s_version = runtime;
            s_initialized = true;
        }
    }

    /// <summary>Initialises with default options unless already done.</summary>
    public static void EnsureInitialized()
    {
        if (!s_initialized)
        {
            Initialize();
        }
    }

    /// <summary>What the loaded OpenSSL reports about its build, and which files were loaded.</summary>
    public static OpenSslBuildInfo GetBuildInfo()
    {
        EnsureInitialized();
        return new OpenSslBuildInfo(
            VersionText: VersionString(Crypto.OPENSSL_VERSION),
            CompilerFlags: VersionString(Crypto.OPENSSL_CFLAGS),
            BuiltOn: VersionString(Crypto.OPENSSL_BUILT_ON),
            Platform: VersionString(Crypto.OPENSSL_PLATFORM),
            OpenSslDirectory: VersionString(Crypto.OPENSSL_DIR),
            EnginesDirectory: VersionString(Crypto.OPENSSL_ENGINES_DIR),
            ModulesDirectory: VersionString(Crypto.OPENSSL_MODULES_DIR),
            LibSslPath: NativeLibraryLoader.LoadedLibSsl ?? string.Empty,
            LibCryptoPath: NativeLibraryLoader.LoadedLibCrypto ?? string.Empty);
    }

    private static string VersionString(int selector) => OpenSslLibrary.VersionText(selector);
}
