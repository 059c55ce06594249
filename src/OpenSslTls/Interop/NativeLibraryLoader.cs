using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpenSslTls.Interop;

/// <summary>
/// Resolves the logical names <see cref="NativeMethods.Libraries.Ssl"/> and <see cref="NativeMethods.Libraries.Crypto"/> to the
/// platform's OpenSSL 3 libraries, or to paths chosen by <c>OpenSslRuntimeOptions</c> or the environment
/// variables <c>OPENSSLTLS_LIBSSL</c> / <c>OPENSSLTLS_LIBCRYPTO</c>. Both always come from the same installation:
/// when only libssl is overridden, libcrypto is looked for beside it first.
/// </summary>
internal static class NativeLibraryLoader
{
    internal const string LibSslVariable = "OPENSSLTLS_LIBSSL";
    internal const string LibCryptoVariable = "OPENSSLTLS_LIBCRYPTO";

    private static readonly Lock Gate = new();
    private static string? s_libSslOverride;
    private static string? s_libCryptoOverride;
    private static IntPtr s_libSsl;
    private static IntPtr s_libCrypto;

    /// <summary>The file each logical library was loaded from, once loaded.</summary>
    internal static string? LoadedLibSsl { get; private set; }

    internal static string? LoadedLibCrypto { get; private set; }

#pragma warning disable CA2255 // A module initializer is the only hook that runs before the first P/Invoke of this assembly.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    /// <summary>Sets explicit library paths; only effective before the first native call.</summary>
    internal static void SetOverrides(string? libSsl, string? libCrypto)
    {
        lock (Gate)
        {
            if ((libSsl is not null || libCrypto is not null) && (s_libSsl != IntPtr.Zero || s_libCrypto != IntPtr.Zero))
            {
                throw new InvalidOperationException(
                    $"OpenSSL is already loaded from '{LoadedLibSsl ?? LoadedLibCrypto}'; library paths must be set before the first use of OpenSslTls.");
            }

            s_libSslOverride = libSsl;
            s_libCryptoOverride = libCrypto;
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        return libraryName switch
        {
            NativeMethods.Libraries.Ssl => LoadSsl(),
            NativeMethods.Libraries.Crypto => LoadCrypto(),
            _ => IntPtr.Zero,
        };
    }

    // libssl depends on libcrypto: EnsureLoaded loads the matching libcrypto first so the dynamic linker reuses it.
    private static IntPtr LoadSsl() => EnsureLoaded().LibSsl;

    /// <summary>Loads both libraries if needed and returns their handles (for <see cref="NativeLibrary.GetExport"/>).</summary>
    internal static (IntPtr LibSsl, IntPtr LibCrypto) EnsureLoaded()
    {
        lock (Gate)
        {
            if (s_libSsl == IntPtr.Zero)
            {
                LoadCryptoLocked();
                (s_libSsl, LoadedLibSsl) = LoadFirst("libssl", Candidates(s_libSslOverride, LibSslVariable, SslNames(), sibling: null));
            }

            return (s_libSsl, s_libCrypto);
        }
    }

    private static IntPtr LoadCrypto()
    {
        lock (Gate)
        {
            return LoadCryptoLocked();
        }
    }

    private static IntPtr LoadCryptoLocked()
    {
        if (s_libCrypto == IntPtr.Zero)
        {
            string? sslPath = s_libSslOverride ?? Environment.GetEnvironmentVariable(LibSslVariable);
            string? sibling = string.IsNullOrEmpty(sslPath) ? null : Path.GetDirectoryName(Path.GetFullPath(sslPath));
            (s_libCrypto, LoadedLibCrypto) = LoadFirst("libcrypto", Candidates(s_libCryptoOverride, LibCryptoVariable, CryptoNames(), sibling));
        }

        return s_libCrypto;
    }

    private static List<string> Candidates(string? explicitPath, string variable, string[] platformNames, string? sibling)
    {
        var candidates = new List<string>();
        string? fromEnvironment = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            candidates.Add(explicitPath);
            return candidates;
        }

        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            candidates.Add(fromEnvironment);
            return candidates;
        }

        if (sibling is not null)
        {
            candidates.AddRange(platformNames.Select(name => Path.Combine(sibling, name)));
        }

        candidates.AddRange(platformNames);
        return candidates;
    }

    private static (IntPtr Handle, string Path) LoadFirst(string what, List<string> candidates)
    {
        var failures = new List<string>();
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                return (handle, candidate);
            }

            failures.Add(candidate);
        }

        throw new DllNotFoundException(
            $"Cannot load OpenSSL's {what}: tried {string.Join(", ", failures.Select(f => $"'{f}'"))}. " +
            $"Install OpenSSL 3 (Debian: apt-get install libssl3) or point {LibSslVariable}/{LibCryptoVariable} at the libraries.");
    }

    private static string[] SslNames() => Platform(
        linux: ["libssl.so.3"],
        windows: [RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "libssl-3-arm64.dll" : "libssl-3-x64.dll"],
        macOs: ["libssl.3.dylib"]);

    private static string[] CryptoNames() => Platform(
        linux: ["libcrypto.so.3"],
        windows: [RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "libcrypto-3-arm64.dll" : "libcrypto-3-x64.dll"],
        macOs: ["libcrypto.3.dylib"]);

    private static string[] Platform(string[] linux, string[] windows, string[] macOs) =>
        OperatingSystem.IsWindows() ? windows : OperatingSystem.IsMacOS() ? macOs : linux;
}
