namespace OpenSslTls.Benchmarks.SslStreams;

/// <summary>One end of an in-memory transport: reads from one <see cref="InMemoryChannel"/>, writes to the other.</summary>
internal sealed class InMemoryDuplexStream(InMemoryChannel input, InMemoryChannel output) : Stream
{
    public InMemoryChannel Input => input;

    public InMemoryChannel Output => output;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>A connected pair: what one end writes, the other reads.</summary>
    public static (InMemoryDuplexStream Client, InMemoryDuplexStream Server) CreatePair()
    {
        var toServer = new InMemoryChannel();
        var toClient = new InMemoryChannel();
        return (new InMemoryDuplexStream(toClient, toServer), new InMemoryDuplexStream(toServer, toClient));
    }

    public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => input.Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        input.ReadAsync(buffer.AsMemory(offset, count)).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer);

    public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => output.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        output.Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        output.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
