using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Connections;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>The outcome of one libssl step, from <c>SSL_get_error</c>.</summary>
internal enum SslStep
{
    /// <summary>The call completed.</summary>
    Done,

    /// <summary>More ciphertext from the peer is needed.</summary>
    WantRead,

    /// <summary>The peer sent close_notify.</summary>
    PeerClosed,

    /// <summary>A protocol or I/O error; the error queue was drained into <see cref="SslEngine.LastError"/>.</summary>
    Failed,
}

/// <summary>
/// One <c>SSL</c> object and its caller-buffer BIO: the unsafe half of <see cref="TlsConnection"/>. Not thread-safe;
/// the connection serialises calls and holds a reference on <see cref="Handle"/> around them.
/// </summary>
[SkipLocalsInit] // The stack scratch of every handshake step and decrypt is written before it is read; zeroing it is waste.
internal sealed unsafe class SslEngine : IDisposable
{
    // Output room given to a native-BIO operation up front; anything beyond it goes to the shim's spill buffer.
    // Enough for a typical server flight, an alert or a close_notify, and one record's header, IV and tag.
    private const int RecordOverhead = 64;

    /// <summary>Stack scratch for a native-BIO handshake step's output (tests shrink it to exercise the spill buffer).</summary>
    internal static int HandshakeScratchBytes { get; set; } = 4096;

    /// <summary>Stack scratch for a native-BIO decrypt's output, which is rare (alerts, TLS 1.3 KeyUpdate replies).</summary>
    internal static int ReadScratchBytes { get; set; } = 256;

    /// <summary>Room asked for close_notify.</summary>
    internal static int ShutdownRoomBytes { get; set; } = 256;

    /// <summary>Extra room asked per record of a native-BIO encrypt (tests set a negative value to force spills).</summary>
    internal static int WriteOverheadBytes { get; set; } = RecordOverhead;

    private readonly SafeSslHandle _ssl;
    private readonly BioBuffers* _buffers;
    private readonly BioOutputSink? _sink; // The managed BIO's output; the native BIO writes into BioBuffers instead.
    private readonly NativeIoShim.Functions? _shim;
    private long _nativeBytesWritten;

    internal SslEngine(SafeSslContextHandle context, bool isServer, string? serverName, SafeSslSessionHandle? resume, ServerNameSwitch.State? serverNameSwitch = null)
    {
        ErrorQueue.Clear();
        _shim = NativeIoShim.Active;
        bool added = false;
        context.DangerousAddRef(ref added);
        try
        {
            if (_shim is not null)
            {
                // One call for SSL_new (which up-refs the SSL_CTX), BIO_new, the BIO's state, SSL_set_bio (the BIO's one
                // reference moves to the SSL, so SSL_free frees it and its state) and the accept/connect state.
                BioBuffers* buffers;
                SSL* ssl = _shim.ConnectionNew(context.Pointer, CallerBufferBio.NativeMethod(_shim), isServer ? 1 : 0, &buffers);
                _ssl = SafeSslHandle.TakeOwnership(ssl, "SSL_new (native I/O connection)");
                _buffers = buffers;
            }
            else
            {
                // SSL_new up-refs the SSL_CTX: the context outlives every connection made from it, whatever the profile does.
                _ssl = SafeSslHandle.TakeOwnership(Ssl.SSL_new(context.Pointer), "SSL_new");
            }
        }
        finally
        {
            if (added)
            {
                context.DangerousRelease();
            }
        }

        try
        {
            if (_shim is null)
            {
                _sink = new BioOutputSink();
                BIO* bio = CallerBufferBio.Create(_sink, out _buffers);

                // SSL_set_bio with the same BIO for reading and writing transfers exactly one reference, the one BIO_new
                // returned: from here SSL_free frees the BIO (and its destroy callback frees _buffers and the sink handle).
                Ssl.SSL_set_bio(_ssl.Pointer, bio, bio);
                if (isServer)
                {
                    Ssl.SSL_set_accept_state(_ssl.Pointer);
                }
                else
                {
                    Ssl.SSL_set_connect_state(_ssl.Pointer);
                }
            }

            if (isServer && serverNameSwitch is not null)
            {
                ServerNameSwitch.Attach(_ssl.Pointer, serverNameSwitch);
            }
            else if (!isServer)
            {
                if (!string.IsNullOrEmpty(serverName))
                {
                    fixed (byte* name = Utf8Z.From(serverName))
                    {
                        if (Ssl.SSL_set_tlsext_host_name(_ssl.Pointer, (sbyte*)name) != 1)
                        {
                            throw ErrorQueue.Drain($"setting SNI server name '{serverName}'");
                        }
                    }
                }

                // SSL_set_session up-refs the session; the caller keeps its own reference.
                if (resume is not null && Ssl.SSL_set_session(_ssl.Pointer, resume.Pointer) != 1)
                {
                    throw ErrorQueue.Drain("offering a session for resumption (SSL_set_session)");
                }
            }
        }
        catch
        {
            _ssl.Dispose();
            throw;
        }
    }

    internal SafeSslHandle Handle => _ssl;

    /// <summary>Ciphertext bytes written to output writers so far.</summary>
    internal long BytesWritten => _sink?.BytesWritten ?? _nativeBytesWritten;

    /// <summary>True when this connection's BIO and record loops run in the C shim (<see cref="NativeIoShim"/>).</summary>
    internal bool UsesNativeIo => _shim is not null;

    internal SSL* Pointer => _ssl.Pointer;

    /// <summary>The error of the last <see cref="SslStep.Failed"/> step.</summary>
    internal OpenSslException? LastError { get; private set; }

    /// <summary>Runs the handshake as far as <paramref name="input"/> allows; ciphertext to send goes to <paramref name="output"/>.</summary>
    internal SslStep Handshake(ReadOnlySpan<byte> input, ref int consumed, IBufferWriter<byte> output)
    {
        fixed (byte* data = input)
        {
            if (_shim is not null)
            {
                return NativeHandshake(data, input.Length, ref consumed, output);
            }

            Begin(data, input.Length, consumed, output);
            int result = Ssl.SSL_do_handshake(_ssl.Pointer);
            return End(result, ref consumed, "TLS handshake");
        }
    }

    /// <summary>
    /// Decrypts into <paramref name="destination"/>; <paramref name="read"/> counts the plaintext bytes whatever the
    /// step. <see cref="SslStep.Done"/>: call again (room or input may be left); <see cref="SslStep.WantRead"/>: all input
    /// is consumed and nothing is buffered. When the input is consumed and libssl buffers nothing, no
    /// <c>SSL_read_ex</c> is made at all: it could only answer "want read".
    /// </summary>
    internal SslStep Read(ReadOnlySpan<byte> input, ref int consumed, Span<byte> destination, out int read, IBufferWriter<byte> output)
    {
        fixed (byte* data = input)
        fixed (byte* target = destination)
        {
            if (_shim is not null)
            {
                return NativeRead(data, input.Length, ref consumed, target, destination.Length, out read, output);
            }

            read = 0;
            if (consumed >= input.Length && Ssl.SSL_has_pending(_ssl.Pointer) == 0)
            {
                return SslStep.WantRead;
            }

            Begin(data, input.Length, consumed, output);
            nuint count = 0;
            int result = Ssl.SSL_read_ex(_ssl.Pointer, target, (nuint)destination.Length, &count);
            read = (int)count;
            return End(result, ref consumed, "decrypting a record");
        }
    }

    /// <summary>Encrypts all of <paramref name="plaintext"/> into <paramref name="output"/> (records of at most max_send_fragment).</summary>
    internal SslStep Write(ReadOnlySpan<byte> plaintext, IBufferWriter<byte> output)
    {
        int unused = 0;
        fixed (byte* data = plaintext)
        {
            if (_shim is not null)
            {
                return NativeWrite(data, plaintext.Length, output);
            }

            int offset = 0;
            while (true)
            {
                Begin(null, 0, 0, output);
                nuint written = 0;
                int result = Ssl.SSL_write_ex(_ssl.Pointer, data + offset, (nuint)(plaintext.Length - offset), &written);
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

    /// <summary>Sends close_notify once without waiting for the peer's.</summary>
    internal void Shutdown(IBufferWriter<byte> output)
    {
        if (_shim is not null)
        {
            NativeShutdown(output);
            return;
        }

        int unused = 0;
        Begin(null, 0, 0, output);
        int result = Ssl.SSL_shutdown(_ssl.Pointer);
        if (result < 0)
        {
            End(result, ref unused, "sending close_notify");
        }
        else
        {
            Finish();
        }
    }

    /// <summary>
    /// Shuts down without sending anything (no close_notify). OpenSSL then treats the close as clean: SSL_free of a
    /// connection that never called SSL_shutdown marks its session not resumable, which would defeat session resumption.
    /// </summary>
    internal void ShutdownQuietly()
    {
        if (_shim is not null)
        {
            _shim.CloseQuietly(_ssl.Pointer, _buffers);
            return;
        }

        Ssl.SSL_set_quiet_shutdown(_ssl.Pointer, 1);
        Finish();
        Ssl.SSL_shutdown(_ssl.Pointer);
        ErrorQueue.Clear();
    }

    internal bool IsHandshakeFinished => Ssl.SSL_is_init_finished(_ssl.Pointer) == 1;

    internal long VerifyResult => (long)Ssl.SSL_get_verify_result(_ssl.Pointer);

    /// <summary>A new reference to the current session (<c>SSL_get1_session</c>), or null.</summary>
    internal SafeSslSessionHandle? GetSession()
    {
        SSL_SESSION* session = Ssl.SSL_get1_session(_ssl.Pointer);
        return session == null ? null : SafeSslSessionHandle.TakeOwnership(session, "SSL_get1_session");
    }

    public void Dispose() => _ssl.Dispose();

    private void Begin(byte* input, int length, int offset, IBufferWriter<byte> output)
    {
        _buffers->Input = input;
        _buffers->InputLength = length;
        _buffers->InputOffset = offset;
        _sink!.Writer = output;
        _sink.Error = null;
    }

    private void Finish()
    {
        _buffers->Input = null;
        _buffers->InputLength = 0;
        _buffers->InputOffset = 0;
        _buffers->Output = null;
        _buffers->OutputCapacity = 0;
        _buffers->OutputLength = 0;
        if (_sink is not null)
        {
            _sink.Writer = null;
        }
    }

    private SslStep End(int result, ref int consumed, string operation)
    {
        consumed = (int)_buffers->InputOffset;
        Finish();
        return result == 1 ? SslStep.Done : Classify(Ssl.SSL_get_error(_ssl.Pointer, result), operation);
    }

    private SslStep Classify(int error, string operation)
    {
        switch (error)
        {
            case Ssl.SSL_ERROR_WANT_READ when _sink?.Error is null:
                return SslStep.WantRead;
            case Ssl.SSL_ERROR_ZERO_RETURN:
                return SslStep.PeerClosed;
        }

        List<OpenSslError> errors = ErrorQueue.DrainErrors();
        Exception? sinkError = _sink?.Error;
        if (_sink is not null)
        {
            _sink.Error = null;
        }
        string problem = sinkError is not null
            ? $"{operation} failed: the output buffer writer threw {sinkError.GetType().Name}: {sinkError.Message}"
            : error switch
            {
                Ssl.SSL_ERROR_SYSCALL when errors.Count == 0 => $"{operation} failed: unexpected end of the TLS stream",
                Ssl.SSL_ERROR_WANT_WRITE => $"{operation} failed: the output could not be written",
                _ => $"{operation} failed",
            };
        LastError = sinkError is not null
            ? new OpenSslException(problem, sinkError)
            : new OpenSslException(problem, errors);
        Debug.Assert(LastError is not null, "a failed step always records its error");
        return SslStep.Failed;
    }

    // ---- the native-BIO path: libssl writes into a pinned span; what does not fit goes to the shim's spill buffer, so a
    // BIO write never fails during an operation (libssl sends alerts from the read path without reporting WANT_WRITE:
    // a refused write there would lose or cut an alert). Handshake steps and decrypts often write nothing, so they write
    // into a stack scratch that is copied to the writer only when used: asking a pooled writer for room it then does
    // not fill would make it hold a buffer.

    private SslStep NativeHandshake(byte* input, int length, ref int consumed, IBufferWriter<byte> output)
    {
        int size = HandshakeScratchBytes;
        byte* scratch = stackalloc byte[size];
        int error;
        BeginNative(input, length, consumed, scratch, size);
        _shim!.Handshake(_ssl.Pointer, &error);
        EndNative(ref consumed, output, scratch);
        return error == Ssl.SSL_ERROR_NONE ? SslStep.Done : Classify(error, "TLS handshake");
    }

    private SslStep NativeRead(byte* input, int length, ref int consumed, byte* destination, int capacity, out int read, IBufferWriter<byte> output)
    {
        int size = ReadScratchBytes;
        byte* scratch = stackalloc byte[size];
        int error;
        nuint count = 0;
        BeginNative(input, length, consumed, scratch, size);
        int result = _shim!.Read(_ssl.Pointer, _buffers, destination, (nuint)capacity, &count, &error);
        read = (int)count;
        EndNative(ref consumed, output, scratch);
        return result == 1 ? SslStep.Done : Classify(error, "decrypting a record");
    }

    private SslStep NativeWrite(byte* data, int length, IBufferWriter<byte> output)
    {
        int consumed = 0;
        int hint = Math.Max(1, length + (((length / TlsConnection.MaxRecordPlaintext) + 1) * WriteOverheadBytes));
        Span<byte> room = output.GetSpan(hint);
        int error;
        int result;
        nuint written = 0;
        fixed (byte* target = room)
        {
            BeginNative(null, 0, 0, target, room.Length);
            result = _shim!.Write(_ssl.Pointer, data, (nuint)length, &written, &error);
            EndNative(ref consumed, output, scratch: null);
        }

        return result == 1 ? SslStep.Done : Classify(error, "encrypting");
    }

    private void NativeShutdown(IBufferWriter<byte> output)
    {
        int consumed = 0;
        Span<byte> room = output.GetSpan(ShutdownRoomBytes);
        int result;
        fixed (byte* target = room)
        {
            BeginNative(null, 0, 0, target, room.Length);
            result = Ssl.SSL_shutdown(_ssl.Pointer);
            EndNative(ref consumed, output, scratch: null);
        }

        if (result < 0)
        {
            Classify(Ssl.SSL_get_error(_ssl.Pointer, result), "sending close_notify");
        }
    }

    private void BeginNative(byte* input, int length, int offset, byte* output, int capacity)
    {
        _buffers->Input = input;
        _buffers->InputLength = length;
        _buffers->InputOffset = offset;
        _buffers->Output = output;
        _buffers->OutputCapacity = capacity;
        _buffers->OutputLength = 0;
    }

    /// <summary>
    /// Commits what libssl wrote and detaches the buffers: the pinned span's bytes (copied from <paramref name="scratch"/>
    /// when the span was a stack scratch, else already in the writer's memory), then whatever spilled over.
    /// </summary>
    private void EndNative(ref int consumed, IBufferWriter<byte> output, byte* scratch)
    {
        consumed = (int)_buffers->InputOffset;
        int written = (int)_buffers->OutputLength;
        int spilled = (int)_buffers->SpillLength;
        Finish();
        if (written > 0)
        {
            if (scratch != null)
            {
                new ReadOnlySpan<byte>(scratch, written).CopyTo(output.GetSpan(written));
            }

            output.Advance(written);
        }

        if (spilled > 0)
        {
            // Rare (a flight or a burst of alerts bigger than the room asked for): copy it out and give the memory back,
            // so an idle connection holds no spill buffer.
            new ReadOnlySpan<byte>(_buffers->Spill, spilled).CopyTo(output.GetSpan(spilled));
            output.Advance(spilled);
            NativeMemory.Free(_buffers->Spill);
            _buffers->Spill = null;
            _buffers->SpillLength = 0;
            _buffers->SpillCapacity = 0;
        }

        _nativeBytesWritten += written + spilled;
    }
}
