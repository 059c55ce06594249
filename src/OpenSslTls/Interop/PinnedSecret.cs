using System.Security.Cryptography;
using System.Text;

namespace OpenSslTls.Interop;

/// <summary>
/// A buffer for secret bytes (a password, an exported private key) on the pinned object heap, so the GC never moves it
/// and leaves a copy behind; <see cref="Dispose"/> zeroes it. Hold it only for the native call that needs it.
/// </summary>
internal sealed class PinnedSecret : IDisposable
{
    private readonly byte[] _buffer;

    private PinnedSecret(int length)
    {
        _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(length, 1), pinned: true);
        Length = length;
    }

    /// <summary>How many bytes of the buffer hold the secret.</summary>
    internal int Length { get; private set; }

    /// <summary>The secret's bytes.</summary>
    internal Span<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>The whole buffer, for exports that write up to its capacity (then <see cref="Truncate"/>).</summary>
    internal Span<byte> Capacity => _buffer;

    /// <summary>A zeroed buffer of <paramref name="length"/> bytes.</summary>
    internal static PinnedSecret Allocate(int length)
    {
        var secret = new PinnedSecret(length);
        CryptographicOperations.ZeroMemory(secret._buffer);
        return secret;
    }

    /// <summary>A pinned copy of <paramref name="bytes"/>.</summary>
    internal static PinnedSecret CopyOf(ReadOnlySpan<byte> bytes)
    {
        var secret = new PinnedSecret(bytes.Length);
        bytes.CopyTo(secret._buffer);
        return secret;
    }

    /// <summary><paramref name="text"/> as NUL-terminated UTF-8 (the terminator is not counted in <see cref="Length"/>), or null.</summary>
    internal static PinnedSecret? FromPassword(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var secret = new PinnedSecret(Encoding.UTF8.GetByteCount(text) + 1);
        int written = Encoding.UTF8.GetBytes(text, secret._buffer);
        secret._buffer[written] = 0;
        secret.Length = written;
        return secret;
    }

    /// <summary>Keeps the first <paramref name="length"/> bytes as the secret (after an export into <see cref="Capacity"/>).</summary>
    internal void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _buffer.Length);
        Length = length;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_buffer);
}
