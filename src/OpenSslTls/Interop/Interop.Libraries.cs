namespace OpenSslTls.Interop;

internal static partial class NativeMethods
{
    /// <summary>
    /// Logical library names used by every <c>DllImport</c>. They are not file names: <see cref="NativeLibraryLoader"/>
    /// resolves them to the platform's libssl/libcrypto (or an override) before the first call.
    /// </summary>
    internal static class Libraries
    {
        internal const string Ssl = "libssl";
        internal const string Crypto = "libcrypto";
    }
}
