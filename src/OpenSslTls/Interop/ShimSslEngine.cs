using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// The engine over the C shim (<see cref="NativeIoShim"/>): BIO callbacks and record loops in C, so an operation
/// crosses into native code once. libssl writes into a pinned span; what does not fit goes to the shim's spill
/// buffer, so a BIO write never fails during an operation (libssl sends alerts from the read path without reporting
/// WANT_WRITE: a refused write there would lose or cut an alert). Handshake steps and decrypts often write nothing,
/// so they write into a stack scratch that is copied to the writer only when used: asking a pooled writer for room it
/// then does not fill would make it hold a buffer.
/// </summary>
[SkipLocalsInit] // The stack scratch of every handshake step and decrypt is written before it is read; zeroing it is waste.
internal sealed unsafe class ShimSslEngine : SslEngine
{
    private const string OutputWriter = "output buffer writer";

    private readonly NativeIoShim.Functions _shim;
    private readonly int _handshakeScratchBytes;
    private readonly int _readScratchBytes;
    private readonly int _shutdownRoomBytes;
    private readonly int _writeOverheadBytes;
    private long _bytesWritten;

    internal ShimSslEngine(NativeIoShim.Functions shim, SslEngineOptions options, SSL_CTX* context, bool isServer)
        : base(NewConnection(shim, context, isServer, out BioBuffers* buffers), buffers)
    {
        _shim = shim;
        _handshakeScratchBytes = Math.Max(1, options.HandshakeScratchBytes);
        _readScratchBytes = Math.Max(1, options.ReadScratchBytes);
        _shutdownRoomBytes = Math.Max(1, options.ShutdownRoomBytes);
        _writeOverheadBytes = options.WriteOverheadBytes;
    }

    internal override long BytesWritten => _bytesWritten;

    internal override SslStep Handshake(ReadOnlySpan<byte> input, ref int consumed, IBufferWriter<byte> output)
    {
        int size = _handshakeScratchBytes;
        byte* scratch = stackalloc byte[size];
        int error;
        fixed (byte* data = input)
        {
            Begin(data, input.Length, consumed, scratch, size);
            _shim.Handshake(Pointer, &error);
            End(ref consumed, output, scratch);
        }

        return Conclude(error == Ssl.SSL_ERROR_NONE, error, "TLS handshake");
    }

    internal override SslStep Read(ReadOnlySpan<byte> input, ref int consumed, Span<byte> destination, out int read, IBufferWriter<byte> output)
    {
        int size = _readScratchBytes;
        byte* scratch = stackalloc byte[size];
        int error;
        int result;
        nuint count = 0;
        fixed (byte* data = input)
        fixed (byte* target = destination)
        {
            Begin(data, input.Length, consumed, scratch, size);
            result = _shim.Read(Pointer, Buffers, target, (nuint)destination.Length, &count, &error);
            read = (int)count;
            End(ref consumed, output, scratch);
        }

        return Conclude(result == 1, error, "decrypting a record");
    }

    internal override SslStep Write(ReadOnlySpan<byte> plaintext, IBufferWriter<byte> output)
    {
        // Room for the whole ciphertext up front, so it is written in place; in 64-bit arithmetic, clamped, since a
        // ~2 GiB message would overflow an int (the shim spills whatever the room does not hold).
        long hint = plaintext.Length + (((long)plaintext.Length / MaxRecordPlaintext) + 1) * _writeOverheadBytes;
        Span<byte> room;
        NativeCallback.Clear();
        try
        {
            room = output.GetSpan((int)Math.Clamp(hint, 1, Array.MaxLength));
        }
        catch (Exception e)
        {
            NativeCallback.Record(OutputWriter, e);
            return Conclude(false, Ssl.SSL_ERROR_NONE, "encrypting");
        }

        int consumed = 0;
        int error;
        int result;
        nuint written = 0;
        fixed (byte* data = plaintext)
        fixed (byte* target = room)
        {
            Begin(null, 0, 0, target, room.Length);
            result = _shim.Write(Pointer, data, (nuint)plaintext.Length, &written, &error);
            End(ref consumed, output, scratch: null);
        }

        return Conclude(result == 1, error, "encrypting");
    }

    internal override void Shutdown(IBufferWriter<byte> output)
    {
        Span<byte> room;
        NativeCallback.Clear();
        try
        {
            room = output.GetSpan(_shutdownRoomBytes);
        }
        catch (Exception e)
        {
            NativeCallback.Record(OutputWriter, e);
            Conclude(false, Ssl.SSL_ERROR_NONE, "sending close_notify");
            return;
        }

        int consumed = 0;
        int result;
        fixed (byte* target = room)
        {
            Begin(null, 0, 0, target, room.Length);
            result = Ssl.SSL_shutdown(Pointer);
            End(ref consumed, output, scratch: null);
        }

        Conclude(result >= 0, result >= 0 ? Ssl.SSL_ERROR_NONE : Ssl.SSL_get_error(Pointer, result), "sending close_notify");
    }

    internal override void ShutdownQuietly() => _shim.CloseQuietly(Pointer, Buffers);

    /// <summary>
    /// One call for SSL_new (which up-refs the SSL_CTX), BIO_new, the BIO's state, SSL_set_bio (the BIO's one reference
    /// moves to the SSL, so SSL_free frees it and its state) and the accept/connect state.
    /// </summary>
    private static SafeSslHandle NewConnection(NativeIoShim.Functions shim, SSL_CTX* context, bool isServer, out BioBuffers* buffers)
    {
        BioBuffers* made;
        SSL* ssl = shim.ConnectionNew(context, CallerBufferBio.NativeMethod(shim), isServer ? 1 : 0, &made);
        SafeSslHandle handle = SafeSslHandle.TakeOwnership(ssl, "SSL_new (native I/O connection)");
        buffers = made;
        return handle;
    }

    private void Begin(byte* input, int length, int offset, byte* output, int capacity)
    {
        BioBuffers* buffers = Buffers;
        buffers->Input = input;
        buffers->InputLength = length;
        buffers->InputOffset = offset;
        buffers->Output = output;
        buffers->OutputCapacity = capacity;
        buffers->OutputLength = 0;
        NativeCallback.Clear();
    }

    /// <summary>
    /// Commits what libssl wrote and detaches the buffers: the pinned span's bytes (copied from <paramref name="scratch"/>
    /// when the span was a stack scratch, else already in the writer's memory), then whatever spilled over. The spill
    /// is detached before the writer is called and freed whatever it does, so output the writer refused is never sent
    /// later; a writer that throws is recorded as the operation's failure.
    /// </summary>
    private void End(ref int consumed, IBufferWriter<byte> output, byte* scratch)
    {
        BioBuffers* buffers = Buffers;
        consumed = (int)buffers->InputOffset;
        int written = (int)buffers->OutputLength; // at most OutputCapacity, an int
        byte* spill = buffers->Spill;
        long spilled = buffers->SpillLength;
        DetachBuffers();
        if (written == 0 && spill == null)
        {
            return;
        }

        // Rare (a flight or a burst of alerts bigger than the room asked for): the memory goes back after each
        // operation, so an idle connection holds no spill buffer.
        buffers->Spill = null;
        buffers->SpillLength = 0;
        buffers->SpillCapacity = 0;
        try
        {
            if (written > 0)
            {
                if (scratch != null)
                {
                    new ReadOnlySpan<byte>(scratch, written).CopyTo(output.GetSpan(written));
                }

                output.Advance(written);
                _bytesWritten += written;
            }

            // In chunks an int can count: a spill of a ~2 GiB message must not be cut by a cast.
            for (long offset = 0; offset < spilled;)
            {
                int chunk = (int)Math.Min(spilled - offset, 1 << 30);
                new ReadOnlySpan<byte>(spill + offset, chunk).CopyTo(output.GetSpan(chunk));
                output.Advance(chunk);
                offset += chunk;
                _bytesWritten += chunk;
            }
        }
        catch (Exception e)
        {
            NativeCallback.Record(OutputWriter, e);
        }
        finally
        {
            // The shim's spill buffer comes from malloc/realloc; NativeMemory.Free is free() on Unix, the shim's only platform.
            NativeMemory.Free(spill);
        }
    }
}
