using System.Buffers;

namespace OpenSslTls.Connections;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}.Shared"/>: written through <see cref="IBufferWriter{T}"/>,
/// read from the front with <see cref="Consume"/>. It holds an array only while it holds data (or was just asked for
/// space), and gives it back as soon as it is emptied, so idle streams keep no memory. Not thread-safe.
/// </summary>
internal sealed class PooledByteBuffer : IBufferWriter<byte>
{
    /// <summary>Smallest array rented: small SIP messages and handshake flights fit without growing.</summary>
    private const int MinimumRent = 4096;

    private readonly bool _clearOnRelease;
    private byte[]? _array;
    private int _start;
    private int _end;

    /// <param name="clearOnRelease">
    /// Zero the used part before the array goes back to the pool: set for plaintext, which other users of the shared
    /// pool must never see; ciphertext needs no clearing.
    /// </param>
    internal PooledByteBuffer(bool clearOnRelease)
    {
        _clearOnRelease = clearOnRelease;
    }

    /// <summary>Bytes written and not yet consumed.</summary>
    internal int Count => _end - _start;

    internal bool IsEmpty => _end == _start;

    /// <summary>Size of the rented array, 0 when none is held.</summary>
    internal int Capacity => _array?.Length ?? 0;

    /// <summary>The unconsumed bytes; valid until the next write, consume or release.</summary>
    internal ReadOnlyMemory<byte> Data => _array is null ? ReadOnlyMemory<byte>.Empty : _array.AsMemory(_start, _end - _start);

    /// <summary>Makes room for <paramref name="size"/> more bytes at once, so a known-size write does not grow in steps.</summary>
    internal void Reserve(int size) => EnsureFree(Math.Max(size, 1));

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(Math.Max(sizeHint, 1));
        return _array.AsSpan(_end);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(Math.Max(sizeHint, 1));
        return _array.AsMemory(_end);
    }

    public void Advance(int count)
    {
        if (count < 0 || _array is null || count > _array.Length - _end)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Advanced past the span that was handed out.");
        }

        _end += count;
    }

    /// <summary>Copies as much as fits into <paramref name="destination"/> and consumes it; returns the count.</summary>
    internal int CopyTo(Span<byte> destination)
    {
        int count = Math.Min(destination.Length, Count);
        if (count > 0)
        {
            _array.AsSpan(_start, count).CopyTo(destination);
            Consume(count);
        }

        return count;
    }

    /// <summary>Drops <paramref name="count"/> bytes from the front; an emptied buffer returns its array.</summary>
    internal void Consume(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Count, nameof(count));
        _start += count;
        if (_start == _end)
        {
            Release();
        }
    }

    /// <summary>Drops any content and returns the array to the pool.</summary>
    internal void Release()
    {
        byte[]? array = _array;
        if (array is null)
        {
            return;
        }

        if (_clearOnRelease)
        {
            array.AsSpan(0, _end).Clear();
        }

        _array = null;
        _start = 0;
        _end = 0;
        ArrayPool<byte>.Shared.Return(array);
    }

    private void EnsureFree(int needed)
    {
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumRent));
            return;
        }

        if (_array.Length - _end >= needed)
        {
            return;
        }

        int count = Count;
        if (_array.Length - count >= needed)
        {
            // Enough room once the consumed front is reclaimed: slide (CopyTo handles the overlap) instead of growing.
            _array.AsSpan(_start, count).CopyTo(_array);
            if (_clearOnRelease)
            {
                _array.AsSpan(count, _end - count).Clear();
            }

            _start = 0;
            _end = count;
            return;
        }

        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(checked(count + needed), checked(_array.Length * 2)));
        _array.AsSpan(_start, count).CopyTo(bigger);
        Release();
        _array = bigger;
        _end = count;
    }
}
