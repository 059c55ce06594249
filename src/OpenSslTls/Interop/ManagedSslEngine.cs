using System.Buffers;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// The engine over the managed caller-buffer BIO (<see cref="CallerBufferBio"/>): libssl's BIO reads and writes call
/// back into managed code, which reads the pinned input span and appends to the output writer. The fallback where
/// the C shim is absent or turned off (<c>OPENSSLTLS_IO_SHIM=off</c>).
/// </summary>
internal sealed unsafe class ManagedSslEngine : SslEngine
{
    private readonly BioOutputSink _sink;

    internal ManagedSslEngine(SSL_CTX* context, bool isServer)
        : this(NewConnection(context, isServer, out BioBuffers* buffers, out BioOutputSink sink), buffers, sink)
    {
    }

    private ManagedSslEngine(SafeSslHandle ssl, BioBuffers* buffers, BioOutputSink sink)
        : base(ssl, buffers)
    {
        _sink = sink;
    }

    internal override long BytesWritten => _sink.BytesWritten;

    internal override SslStep Handshake(ReadOnlySpan<byte> input, ref int consumed, IBufferWriter<byte> output)
    {
        fixed (byte* data = input)
        {
            Begin(data, input.Length, consumed, output);
            int result = Ssl.SSL_do_handshake(Pointer);
            return End(result, ref consumed, "TLS handshake");
        }
    }

    /// <inheritdoc />
    /// <remarks>When the input is consumed and libssl buffers nothing, no <c>SSL_read_ex</c> is made: it could only answer "want read".</remarks>
    internal override SslStep Read(ReadOnlySpan<byte> input, ref int consumed, Span<byte> destination, out int read, IBufferWriter<byte> output)
    {
        read = 0;
        if (consumed >= input.Length && Ssl.SSL_has_pending(Pointer) == 0)
        {
            return SslStep.WantRead;
        }

        fixed (byte* data = input)
        fixed (byte* target = destination)
        {
            Begin(data, input.Length, consumed, output);
            nuint count = 0;
            int result = Ssl.SSL_read_ex(Pointer, target, (nuint)destination.Length, &count);
            read = (int)count;
            return End(result, ref consumed, "decrypting a record");
        }
    }

    internal override SslStep Write(ReadOnlySpan<byte> plaintext, IBufferWriter<byte> output)
    {
        int unused = 0;
        fixed (byte* data = plaintext)
        {
            int offset = 0;
            while (true)
            {
                Begin(null, 0, 0, output);
                nuint written = 0;
                int result = Ssl.SSL_write_ex(Pointer, data + offset, (nuint)(plaintext.Length - offset), &written);
                SslStep step = End(result, ref unused, "encrypting");
                offset += (int)written;

                // With SSL_MODE_ENABLE_PARTIAL_WRITE a call may stop after one record; the output never blocks.
                if (step != SslStep.Done || offset >= plaintext.Length)
                {
                    return step;
                }
            }
        }
    }

    internal override void Shutdown(IBufferWriter<byte> output)
    {
        int unused = 0;
        Begin(null, 0, 0, output);
        int result = Ssl.SSL_shutdown(Pointer);
        End(result < 0 ? result : 1, ref unused, "sending close_notify");
    }

    internal override void ShutdownQuietly()
    {
        Ssl.SSL_set_quiet_shutdown(Pointer, 1);
        Detach();
        Ssl.SSL_shutdown(Pointer);
        ErrorQueue.Clear();
    }

    /// <summary>
    /// SSL_new (which up-refs the SSL_CTX: the context outlives every connection made from it) and the caller-buffer
    /// BIO, set as both of the SSL's BIOs; on failure nothing is left allocated.
    /// </summary>
    private static SafeSslHandle NewConnection(SSL_CTX* context, bool isServer, out BioBuffers* buffers, out BioOutputSink sink)
    {
        SafeSslHandle ssl = SafeSslHandle.TakeOwnership(Ssl.SSL_new(context), "SSL_new");
        try
        {
            sink = new BioOutputSink();
            BIO* bio = CallerBufferBio.Create(sink, out buffers);

            // SSL_set_bio with the same BIO for reading and writing transfers exactly one reference, the one BIO_new
            // returned: from here SSL_free frees the BIO (and its destroy callback frees the buffers and the sink handle).
            Ssl.SSL_set_bio(ssl.Pointer, bio, bio);
            if (isServer)
            {
                Ssl.SSL_set_accept_state(ssl.Pointer);
            }
            else
            {
                Ssl.SSL_set_connect_state(ssl.Pointer);
            }

            return ssl;
        }
        catch
        {
            ssl.Dispose();
            throw;
        }
    }

    private void Begin(byte* input, int length, int offset, IBufferWriter<byte> output)
    {
        Buffers->Input = input;
        Buffers->InputLength = length;
        Buffers->InputOffset = offset;
        _sink.Writer = output;
        NativeCallback.Clear();
    }

    private void Detach()
    {
        DetachBuffers();
        _sink.Writer = null;
    }

    private SslStep End(int result, ref int consumed, string operation)
    {
        consumed = (int)Buffers->InputOffset;
        Detach();
        return Conclude(result == 1, result == 1 ? Ssl.SSL_ERROR_NONE : Ssl.SSL_get_error(Pointer, result), operation);
    }
}
