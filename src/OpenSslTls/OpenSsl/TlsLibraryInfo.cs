using System.Reflection;
using OpenSslTls.Interop;

namespace OpenSslTls.OpenSsl;

/// <summary>
/// What this process runs on: the OpenSslTls version, the OpenSSL it loaded, and whether connections use the C I/O
/// shim (<c>libopenssltls_io.so</c>) or the managed BIO. Meant for a start-up log line and for support questions.
/// </summary>
/// <param name="LibraryVersion">The OpenSslTls package version (with the commit after a <c>+</c> when known).</param>
/// <param name="OpenSslVersion">The version of the loaded OpenSSL.</param>
/// <param name="OpenSslVersionText">What it calls itself, e.g. <c>OpenSSL 3.0.17 1 Jul 2025</c>.</param>
/// <param name="LibSslPath">The libssl file this process loaded.</param>
/// <param name="LibCryptoPath">The libcrypto file this process loaded.</param>
/// <param name="IoShimInUse">Whether new connections use the C I/O shim.</param>
/// <param name="IoShimPath">The shim's file when it is in use; null otherwise.</param>
/// <param name="IoShimStatus">Where the shim was loaded from, or why it is not in use (every path tried).</param>
public sealed record TlsLibraryInfo(
    string LibraryVersion,
    OpenSslVersion OpenSslVersion,
    string OpenSslVersionText,
    string LibSslPath,
    string LibCryptoPath,
    bool IoShimInUse,
    string? IoShimPath,
    string IoShimStatus)
{
    /// <summary>
    /// Initialises OpenSSL if needed (see <see cref="OpenSslRuntime.EnsureInitialized"/>) and the I/O shim, and
    /// reports both. Throws <see cref="InvalidOperationException"/> when <c>OPENSSLTLS_IO_SHIM=required</c> and the
    /// shim cannot be loaded (the message names every path tried).
    /// </summary>
    public static TlsLibraryInfo Describe()
    {
        OpenSslBuildInfo build = OpenSslRuntime.GetBuildInfo();
        bool inUse = NativeIoShim.Loaded is not null;
        return new TlsLibraryInfo(
            LibraryVersion: typeof(TlsLibraryInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? typeof(TlsLibraryInfo).Assembly.GetName().Version?.ToString() ?? "unknown",
            OpenSslVersion: OpenSslRuntime.Version,
            OpenSslVersionText: build.VersionText,
            LibSslPath: build.LibSslPath,
            LibCryptoPath: build.LibCryptoPath,
            IoShimInUse: inUse,
            IoShimPath: inUse ? NativeIoShim.LoadedPath : null,
            IoShimStatus: NativeIoShim.Status);
    }
}
