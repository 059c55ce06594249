using System.Buffers;
using System.Threading.Tasks.Sources;

namespace OpenSslTls.Benchmarks.SslStreams;

/// <summary>
/// One direction of an in-memory transport. Writes append; a read takes what is there. A read that finds nothing
/// pends and is completed inline by the next write (continuations run synchronously), so a client and a server
/// SslStream run their whole handshake on the calling thread, like the OpenSslTls pump: no sockets, no thread pool.
/// The buffer comes from the shared array pool and goes back whenever the channel is drained, so an idle connection
/// holds no transport buffer.
/// </summary>
internal sealed class InMemoryChannel : IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _completion;
    private byte[]? _buffer;
    private int _start;
    private int _count;
    private Memory<byte> _pendingDestination;
    private bool _pending;
    private bool _closed;

    public InMemoryChannel() => _completion.RunContinuationsAsynchronously = false;

    /// <summary>Bytes written since the last <see cref="Reset"/>.</summary>
    public long BytesWritten { get; private set; }

    public int Available => _count;

    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        BytesWritten += data.Length;
        if (_pending)
        {
            // The reader is waiting: hand the bytes over directly, keep the rest.
            int direct = Math.Min(data.Length, _pendingDestination.Length);
            data[..direct].CopyTo(_pendingDestination.Span);
            Append(data[direct..]);
            _pending = false;
            _pendingDestination = default;
            _completion.SetResult(direct);
            return;
        }

        Append(data);
    }

    public int Read(Span<byte> destination)
    {
        if (_count == 0)
        {
            return _closed ? 0 : throw new InvalidOperationException("a synchronous read found no data: in one thread it would never complete");
        }

        return Take(destination);
    }

    public ValueTask<int> ReadAsync(Memory<byte> destination)
    {
        if (_count > 0 || _closed || destination.IsEmpty)
        {
            return new ValueTask<int>(_count > 0 ? Take(destination.Span) : 0);
        }

        if (_pending)
        {
            throw new InvalidOperationException("two reads pending on one channel");
        }

        _completion.Reset();
        _pending = true;
        _pendingDestination = destination;
        return new ValueTask<int>(this, _completion.Version);
    }

    /// <summary>End of stream: a pending read completes with 0, later reads return 0.</summary>
    public void Close()
    {
        _closed = true;
        ReturnBuffer();
        if (_pending)
        {
            _pending = false;
            _pendingDestination = default;
            _completion.SetResult(0);
        }
    }

    /// <summary>Makes a closed, idle channel reusable for the next connection.</summary>
    public void Reset()
    {
        if (_pending)
        {
            throw new InvalidOperationException("a read is still pending");
        }

        ReturnBuffer();
        _closed = false;
        BytesWritten = 0;
    }

    int IValueTaskSource<int>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    private void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 16 * 1024 + 512));
        }
        else if (_start + _count + data.Length > _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _count + data.Length));
            _buffer.AsSpan(_start, _count).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
            _start = 0;
        }

        data.CopyTo(_buffer.AsSpan(_start + _count));
        _count += data.Length;
    }

    private int Take(Span<byte> destination)
    {
        int count = Math.Min(destination.Length, _count);
        _buffer.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        _count -= count;
        if (_count == 0)
        {
            ReturnBuffer();
        }

        return count;
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _start = 0;
        _count = 0;
    }
}
