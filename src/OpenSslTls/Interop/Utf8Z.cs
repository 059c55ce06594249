using System.Runtime.InteropServices;
using System.Text;

namespace OpenSslTls.Interop;

/// <summary>UTF-8, NUL-terminated copies of managed strings for C APIs, and the reverse. Used off the hot path only.</summary>
internal static unsafe class Utf8Z
{
    internal static byte[] From(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    internal static string? ToString(sbyte* text) => text == null ? null : Marshal.PtrToStringUTF8((IntPtr)text);

    internal static string? ToString(byte* text) => ToString((sbyte*)text);
}
