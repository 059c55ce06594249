using System.Buffers;

namespace OpenSslTls.Connections;

/// <summary>Where <see cref="TlsConnection"/> decrypts to: a buffer writer, or a caller's span that can fill up.</summary>
internal interface IPlaintextSink
{
    /// <summary>Room for the next decrypt; empty when the target is full.</summary>
    Span<byte> GetSpan();

    void Advance(int count);
}

/// <summary>
/// Decrypts into an <see cref="IBufferWriter{T}"/>, asking for <paramref name="room"/> bytes each time (by default a
/// whole record's room; less is fine: OpenSSL keeps the rest of a record for the next call).
/// </summary>
internal readonly struct WriterSink(IBufferWriter<byte> writer, int room = TlsConnection.MaxRecordPlaintext) : IPlaintextSink
{
    public Span<byte> GetSpan() => writer.GetSpan(room);

    public void Advance(int count) => writer.Advance(count);
}

/// <summary>Decrypts into a fixed span and counts what was written.</summary>
internal ref struct SpanSink(Span<byte> target) : IPlaintextSink
{
    private readonly Span<byte> _target = target;

    public int Written { get; private set; }

    public readonly Span<byte> GetSpan() => _target[Written..];

    public void Advance(int count) => Written += count;
}
