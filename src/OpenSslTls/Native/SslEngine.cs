using System.Buffers;
using System.Diagnostics;
using static OpenSslTls.Native.Interop;

namespace OpenSslTls.Native;

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
internal sealed unsafe class SslEngine : IDisposable
{
    private readonly SafeSslHandle _ssl;
    private readonly BioBuffers* _buffers;
    private readonly BioOutputSink _sink = new();

    internal SslEngine(SafeSslContextHandle context, bool isServer, string? serverName, SafeSslSessionHandle? resume, ServerNameSwitch.State? serverNameSwitch = null)
    {
        ErrorQueue.Clear();
        bool added = false;
        context.DangerousAddRef(ref added);
        try
        {
            // SSL_new up-refs the SSL_CTX: the context outlives every connection made from it, whatever the profile does.
            _ssl = SafeSslHandle.TakeOwnership(Ssl.SSL_new(context.Pointer), "SSL_new");
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
            BIO* bio = CallerBufferBio.Create(_sink, out _buffers);

            // SSL_set_bio with the same BIO for reading and writing transfers exactly one reference, the one BIO_new
            // returned: from here SSL_free frees the BIO (and its destroy callback frees _buffers and the sink handle).
            Ssl.SSL_set_bio(_ssl.Pointer, bio, bio);

            if (isServer)
            {
                Ssl.SSL_set_accept_state(_ssl.Pointer);
                if (serverNameSwitch is not null)
                {
                    ServerNameSwitch.Attach(_ssl.Pointer, serverNameSwitch);
                }
            }
            else
            {
                Ssl.SSL_set_connect_state(_ssl.Pointer);
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
    internal long BytesWritten => _sink.BytesWritten;

    internal SSL* Pointer => _ssl.Pointer;

    /// <summary>The error of the last <see cref="SslStep.Failed"/> step.</summary>
    internal OpenSslException? LastError { get; private set; }

    /// <summary>Runs the handshake as far as <paramref name="input"/> allows; ciphertext to send goes to <paramref name="output"/>.</summary>
    internal SslStep Handshake(ReadOnlySpan<byte> input, ref int consumed, IBufferWriter<byte> output)
    {
        fixed (byte* data = input)
        {
            Begin(data, input.Length, consumed, output);
            int result = Ssl.SSL_do_handshake(_ssl.Pointer);
            return End(result, ref consumed, "TLS handshake");
        }
    }

    /// <summary>Decrypts into <paramref name="destination"/>: <paramref name="read"/> bytes when <see cref="SslStep.Done"/>.</summary>
    internal SslStep Read(ReadOnlySpan<byte> input, ref int consumed, Span<byte> destination, out int read, IBufferWriter<byte> output)
    {
        fixed (byte* data = input)
        fixed (byte* target = destination)
        {
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
        _sink.Writer = output;
        _sink.Error = null;
    }

    private void Finish()
    {
        _buffers->Input = null;
        _buffers->InputLength = 0;
        _buffers->InputOffset = 0;
        _sink.Writer = null;
    }

    private SslStep End(int result, ref int consumed, string operation)
    {
        consumed = (int)_buffers->InputOffset;
        Finish();
        if (result == 1)
        {
            return SslStep.Done;
        }

        int error = Ssl.SSL_get_error(_ssl.Pointer, result);
        switch (error)
        {
            case Ssl.SSL_ERROR_WANT_READ when _sink.Error is null:
                return SslStep.WantRead;
            case Ssl.SSL_ERROR_ZERO_RETURN:
                return SslStep.PeerClosed;
        }

        List<OpenSslError> errors = ErrorQueue.DrainErrors();
        Exception? sinkError = _sink.Error;
        _sink.Error = null;
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
}
