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

    /// <summary>
    /// <paramref name="text"/> as NUL-terminated UTF-8 in <paramref name="buffer"/> when it fits, else in a new array:
    /// per-connection names (SNI, the expected host) then cost no allocation.
    /// </summary>
    internal static ReadOnlySpan<byte> From(string text, Span<byte> buffer)
    {
        int needed = Encoding.UTF8.GetMaxByteCount(text.Length) < buffer.Length ? 0 : Encoding.UTF8.GetByteCount(text) + 1;
        if (needed > buffer.Length)
        {
            return From(text);
        }

        int written = Encoding.UTF8.GetBytes(text, buffer);
        buffer[written] = 0;
        return buffer[..(written + 1)];
    }

    internal static string? ToString(sbyte* text) => text == null ? null : Marshal.PtrToStringUTF8((IntPtr)text);

    internal static string? ToString(byte* text) => ToString((sbyte*)text);
}
