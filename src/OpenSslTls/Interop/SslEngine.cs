using System.Buffers;
using static OpenSslTls.Interop.NativeMethods;
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

    /// <summary>
    /// The ClientHello callback suspended the handshake (<c>SSL_ERROR_WANT_CLIENT_HELLO_CB</c>): libssl keeps the
    /// ClientHello; the next handshake step calls the callback again.
    /// </summary>
    WantCallback,

    /// <summary>A protocol or I/O error, or a callback threw; the reason is in <see cref="SslEngine.LastError"/>.</summary>
    Failed,
}

/// <summary>
/// One <c>SSL</c> object and its caller-buffer BIO: the unsafe half of a connection. One subclass per I/O strategy,
/// chosen once by <see cref="Create"/>: <see cref="ShimSslEngine"/> (BIO and record loops in the C shim) and
/// <see cref="ManagedSslEngine"/> (the managed BIO). Not thread-safe; the connection serialises calls and holds a
/// reference on <see cref="Handle"/> around them.
/// </summary>
internal abstract unsafe class SslEngine : IDisposable
{
    /// <summary>The largest plaintext one TLS record carries.</summary>
    internal const int MaxRecordPlaintext = 16384;

    private readonly SafeSslHandle _ssl;
    private readonly BioBuffers* _buffers;
    private PeerCertificateCheck.State? _peerCheck;

    /// <summary>Takes <paramref name="ssl"/>, whose BIO state is <paramref name="buffers"/> (freed by the BIO with the SSL).</summary>
    private protected SslEngine(SafeSslHandle ssl, BioBuffers* buffers)
    {
        _ssl = ssl;
        _buffers = buffers;
    }

    internal SafeSslHandle Handle => _ssl;

    internal SSL* Pointer => _ssl.Pointer;

    /// <summary>Ciphertext bytes written to output writers so far.</summary>
    internal abstract long BytesWritten { get; }

    /// <summary>
    /// How many times libssl called the BIO's read callback so far (ssl_read_ahead makes it one read per burst
    /// instead of two per record). Only while the connection is open: the counter lives in the BIO's state.
    /// </summary>
    internal long BioReadCalls
    {
        get
        {
            ObjectDisposedException.ThrowIf(_ssl.IsClosed, this);
            return _buffers->ReadCalls;
        }
    }

    /// <summary>The error of the last <see cref="SslStep.Failed"/> step.</summary>
    internal TlsException? LastError { get; private set; }

    internal long VerifyResult => (long)Ssl.SSL_get_verify_result(_ssl.Pointer);

    /// <summary>Decrypted bytes of a record OpenSSL holds that no read has taken yet (<c>SSL_pending</c>).</summary>
    internal int PendingPlaintext => Ssl.SSL_pending(_ssl.Pointer);

    /// <summary>The negotiated protocol's wire version (<c>SSL_version</c>, e.g. 0x0304 for TLS 1.3): no string, no read of certificates.</summary>
    internal int ProtocolVersion => Ssl.SSL_version(_ssl.Pointer);

    /// <summary>Whether this SSL frees its record buffers when idle (<c>SSL_MODE_RELEASE_BUFFERS</c> in <c>SSL_get_mode</c>).</summary>
    internal bool ReleasesBuffers => (Ssl.SSL_get_mode(_ssl.Pointer) & (nint)Ssl.SSL_MODE_RELEASE_BUFFERS) != 0;

    private protected BioBuffers* Buffers => _buffers;

    /// <summary>
    /// Makes the engine <paramref name="options"/> asks for on a new <c>SSL</c> of <paramref name="context"/>: client
    /// side with <paramref name="serverName"/> as SNI and <paramref name="resume"/> offered, the server's certificate
    /// checked against <paramref name="expectedName"/> (when the context verifies it) and shown to
    /// <paramref name="validator"/>; server side with <paramref name="serverNameSwitch"/> attached when given and the
    /// client's certificate (when the context asks for one) shown to <paramref name="validator"/>.
    /// </summary>
    internal static SslEngine Create(
        SslEngineOptions options,
        SafeSslContextHandle context,
        bool isServer,
        string? serverName,
        SafeSslSessionHandle? resume,
        ServerNameSwitch.State? serverNameSwitch,
        string? expectedName = null,
        IPeerCertificateValidator? validator = null,
        bool contextHeld = false,
        byte[]? applicationProtocols = null)
    {
        NativeIoShim.Functions? shim = ChooseShim(options);
        ErrorQueue.Clear();
        bool added = false;
        if (!contextHeld)
        {
            context.DangerousAddRef(ref added);
        }

        // else the caller's PendingContext holds a reference: the context may be marked closed, but it is not freed.
        SslEngine engine;
        try
        {
            engine = shim is not null
                ? new ShimSslEngine(shim, options, context.Pointer, isServer)
                : new ManagedSslEngine(context.Pointer, isServer);
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
            engine.Configure(isServer, serverName, resume, serverNameSwitch);
            if (isServer && applicationProtocols is not null)
            {
                ApplicationProtocolNegotiation.AttachFallback(engine.Pointer, applicationProtocols);
            }

            if (!isServer)
            {
                engine._peerCheck = PeerCertificateCheck.Attach(engine.Pointer, expectedName, validator);
            }
            else if (validator is not null)
            {
                engine._peerCheck = PeerCertificateCheck.AttachValidator(engine.Pointer, validator);
            }

            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>Throws what <see cref="Create"/> would for <paramref name="options"/> that cannot be met (the shim asked for but not loaded).</summary>
    internal static void CheckOptions(SslEngineOptions options) => _ = ChooseShim(options);

    private static NativeIoShim.Functions? ChooseShim(SslEngineOptions options) => options.Io switch
    {
        SslEngineIo.Managed => null,
        SslEngineIo.Shim => NativeIoShim.Loaded ?? throw new InvalidOperationException($"the C I/O shim is not loaded: {NativeIoShim.Status}"),
        _ => NativeIoShim.Loaded,
    };

    /// <summary>Runs the handshake as far as <paramref name="input"/> allows; ciphertext to send goes to <paramref name="output"/>.</summary>
    internal abstract SslStep Handshake(ReadOnlySpan<byte> input, ref int consumed, IBufferWriter<byte> output);

    /// <summary>
    /// Decrypts into <paramref name="destination"/>; <paramref name="read"/> counts the plaintext bytes whatever the
    /// step. <see cref="SslStep.Done"/>: call again (room or input may be left); <see cref="SslStep.WantRead"/>: all input
    /// is consumed and nothing is buffered.
    /// </summary>
    internal abstract SslStep Read(ReadOnlySpan<byte> input, ref int consumed, Span<byte> destination, out int read, IBufferWriter<byte> output);

    /// <summary>Encrypts all of <paramref name="plaintext"/> into <paramref name="output"/> (records of at most max_send_fragment).</summary>
    internal abstract SslStep Write(ReadOnlySpan<byte> plaintext, IBufferWriter<byte> output);

    /// <summary>Sends close_notify once without waiting for the peer's.</summary>
    internal abstract void Shutdown(IBufferWriter<byte> output);

    /// <summary>
    /// Shuts down without sending anything (no close_notify). OpenSSL then treats the close as clean: SSL_free of a
    /// connection that never called SSL_shutdown marks its session not resumable, which would defeat session resumption.
    /// </summary>
    internal abstract void ShutdownQuietly();

    /// <summary>The connection's facts (after the handshake); the caller holds a lease on <see cref="Handle"/>.</summary>
    internal NativeConnectionFacts ReadFacts(string? sentServerName, bool isServer) => ConnectionInfoReader.Read(Pointer, sentServerName, isServer);

    /// <summary>OpenSSL's text for a verify result (with the CRL rule where it is the cause).</summary>
    internal static string VerifyText(long code) => ConnectionInfoReader.VerifyText(code);

    /// <summary>
    /// A failed verification for the handshake's failure message: OpenSSL's text, and for a name mismatch the expected
    /// name and the certificate's names, or that the validation callback refused.
    /// </summary>
    internal string DescribeVerifyFailure(long code)
    {
        string text = VerifyText(code);
        PeerCertificateCheck.State? check = _peerCheck ?? PeerCertificateCheck.Find(Pointer);
        if (check?.MismatchDetail is { } mismatch)
        {
            text += ": " + mismatch;
        }

        if (check is { RefusedByValidator: true })
        {
            text += "; the certificate validation callback refused the certificate";
        }

        return text;
    }

    /// <summary>A new reference to the current session (<c>SSL_get1_session</c>), or null.</summary>
    internal SafeSslSessionHandle? GetSession()
    {
        SSL_SESSION* session = Ssl.SSL_get1_session(_ssl.Pointer);
        return session == null ? null : SafeSslSessionHandle.TakeOwnership(session, "SSL_get1_session");
    }

    public void Dispose()
    {
        _ssl.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Detaches the caller's buffers from the BIO: outside an operation, stray I/O sees "retry".</summary>
    private protected void DetachBuffers()
    {
        _buffers->Input = null;
        _buffers->InputLength = 0;
        _buffers->InputOffset = 0;
        _buffers->Output = null;
        _buffers->OutputCapacity = 0;
        _buffers->OutputLength = 0;
    }

    /// <summary>
    /// The outcome of the native call that just returned: a failure a callback (or the output writer) recorded with
    /// <see cref="NativeCallback"/> wins over what libssl says, since libssl only saw its consequence.
    /// </summary>
    private protected SslStep Conclude(bool succeeded, int error, string operation)
    {
        TlsCallbackException? callbackFailure = NativeCallback.TakeFailure(operation);
        if (callbackFailure is not null)
        {
            ErrorQueue.Clear();
            LastError = callbackFailure;
            return SslStep.Failed;
        }

        if (succeeded)
        {
            return SslStep.Done;
        }

        switch (error)
        {
            case Ssl.SSL_ERROR_WANT_READ:
                return SslStep.WantRead;
            case Ssl.SSL_ERROR_ZERO_RETURN:
                return SslStep.PeerClosed;
            case Ssl.SSL_ERROR_WANT_CLIENT_HELLO_CB:
                return SslStep.WantCallback;
        }

        List<OpenSslError> errors = ErrorQueue.DrainErrors();
        string problem = error switch
        {
            Ssl.SSL_ERROR_SYSCALL when errors.Count == 0 => $"{operation} failed: unexpected end of the TLS stream",
            Ssl.SSL_ERROR_WANT_WRITE => $"{operation} failed: the output could not be written",
            _ => $"{operation} failed",
        };
        LastError = new OpenSslException(problem, errors);
        return SslStep.Failed;
    }

    private void Configure(bool isServer, string? serverName, SafeSslSessionHandle? resume, ServerNameSwitch.State? serverNameSwitch)
    {
        if (isServer)
        {
            if (serverNameSwitch is not null)
            {
                ServerNameSwitch.Attach(_ssl.Pointer, serverNameSwitch);
            }

            return;
        }

        if (!string.IsNullOrEmpty(serverName))
        {
            Span<byte> buffer = stackalloc byte[256];
            fixed (byte* name = Utf8Z.From(serverName, buffer))
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
