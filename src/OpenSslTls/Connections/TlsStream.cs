using System.Buffers;
using System.Runtime.CompilerServices;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// A <see cref="Stream"/> over a <see cref="TlsConnection"/>: for callers who prefer streams to driving the engine with
/// buffers. It wraps any duplex inner stream (typically a <see cref="System.Net.Sockets.NetworkStream"/>); call
/// <see cref="AuthenticateAsync"/> once, then read and write plaintext. The connection's facts are in
/// <see cref="Connection"/> (<see cref="TlsConnection.Info"/>).
/// <para>
/// Concurrency: one read and one write (or <see cref="ShutdownAsync"/>) may run at the same time; a second concurrent
/// read, or a second concurrent write, throws <see cref="NotSupportedException"/>. Ciphertext is sent in the order the
/// engine produced it, also when a read has to answer the peer (a TLS 1.2 renegotiation flight, an alert) while a write
/// runs: the read never waits for a write stuck on a full transport, the write sends the read's bytes after its own.
/// </para>
/// <para>
/// Buffers come from <see cref="ArrayPool{T}.Shared"/> and are returned as soon as they are empty: an idle stream holds
/// none. A zero-byte read is passed to the inner stream first, so on a socket it waits for data without holding a
/// buffer, then returns 0 once plaintext is ready (consuming none of it).
/// Plaintext that does not fit the caller's buffer is kept for the next read; a caller buffer of at least
/// <see cref="TlsConnection.MaxRecordPlaintext"/> bytes is decrypted into directly.
/// </para>
/// <para>
/// End of data: a read returns 0 after the peer's close_notify, and also when the inner stream ends between two TLS
/// records, because SIP peers commonly close TCP without close_notify (Kamailio treats the TCP close as the end) and
/// SIP frames its messages itself (Content-Length), so a cut message is visible to the SIP parser. Tell the two apart
/// with <see cref="TlsConnection.State"/>: <see cref="TlsConnectionState.PeerClosed"/> only after close_notify. An end
/// of stream inside a record is a truncation and throws <see cref="IOException"/>. After the peer's close_notify this
/// side can no longer write (the engine has no half-close), and after <see cref="ShutdownAsync"/> reads return 0.
/// </para>
/// <para>
/// Errors: a failed handshake throws the connection's <see cref="TlsConnection.Failure"/> (a
/// <see cref="TlsException"/>, usually an <see cref="OpenSslException"/>) after any alert was sent; a TLS failure
/// during a read or write throws an <see cref="IOException"/> whose inner exception is that failure. A write that fails or is
/// canceled part-way leaves the record stream broken: later writes throw <see cref="IOException"/>.
/// </para>
/// </summary>
public sealed class TlsStream : Stream
{
    /// <summary>Ciphertext read from the inner stream per call; OpenSSL keeps partial records, so any size works.</summary>
    private const int ReadBufferSize = 16 * 1024;

    /// <summary>Plaintext encrypted per inner write: large writes go out in pieces so the ciphertext buffer stays bounded (64 KiB rented).</summary>
    private const int WriteChunkSize = (4 * TlsConnection.MaxRecordPlaintext) - 4096;

    /// <summary>Upper bound of one record's ciphertext beyond its plaintext (header, explicit IV, MAC or tag, padding).</summary>
    private const int RecordOverhead = 96;

    private const int Idle = 0;
    private const int Busy = 1;
    private const int Released = 2;

    private const int AuthNone = 0;
    private const int AuthRunning = 1;
    private const int AuthDone = 2;
    private const int AuthFailed = 3;

    private readonly Stream _inner;
    private readonly bool _leaveInnerStreamOpen;

    /// <summary>
    /// Held around every engine call together with the append to <see cref="_pending"/>, so the pending ciphertext is in
    /// exactly the order the engine produced it (the connection's own lock does not cover our output buffer).
    /// </summary>
    private readonly Lock _gate = new();

    /// <summary>Held by whoever writes to the inner stream; it sends everything pending before letting go.</summary>
    private readonly SemaphoreSlim _outputLock = new(1, 1);

    /// <summary>Decrypted plaintext not yet delivered; owned by the running read (or the handshake).</summary>
    private readonly PooledByteBuffer _plaintext = new(clearOnRelease: true);
    private readonly PlaintextSink _sink;

    /// <summary>Ciphertext produced and not yet taken for sending (guarded by <see cref="_gate"/>).</summary>
    private PooledByteBuffer _pending = new(clearOnRelease: false);

    /// <summary>Ciphertext being written to the inner stream (owned by the holder of <see cref="_outputLock"/>).</summary>
    private PooledByteBuffer _sending = new(clearOnRelease: false);

    private TlsRecordFraming _framing;
    private int _readState;
    private int _writeState;
    private int _authState;
    private int _disposed;
    private bool _readEnded;
    private bool _truncated;
    private volatile bool _shutdown;
    private volatile bool _outputBroken;

    /// <summary>
    /// Wraps <paramref name="innerStream"/> (which must be readable and writable) and <paramref name="connection"/>
    /// (new, not yet started). The stream owns the connection: disposing the stream disposes it, and also the inner
    /// stream unless <paramref name="leaveInnerStreamOpen"/> is true.
    /// </summary>
    public TlsStream(Stream innerStream, TlsConnection connection, bool leaveInnerStreamOpen = false)
    {
        ArgumentNullException.ThrowIfNull(innerStream);
        ArgumentNullException.ThrowIfNull(connection);
        if (!innerStream.CanRead || !innerStream.CanWrite)
        {
            throw new ArgumentException("The inner stream must be readable and writable.", nameof(innerStream));
        }

        _inner = innerStream;
        Connection = connection;
        _leaveInnerStreamOpen = leaveInnerStreamOpen;
        _sink = new PlaintextSink(_plaintext);
    }

    /// <summary>The TLS engine; its <see cref="TlsConnection.Info"/> describes the session once authenticated.</summary>
    public TlsConnection Connection { get; }

    /// <summary>The transport stream the ciphertext goes through.</summary>
    public Stream InnerStream => _inner;

    /// <summary>Whether disposing this stream leaves <see cref="InnerStream"/> open.</summary>
    public bool LeaveInnerStreamOpen => _leaveInnerStreamOpen;

    /// <summary>True once <see cref="AuthenticateAsync"/> completed the handshake.</summary>
    public bool IsAuthenticated => Volatile.Read(ref _authState) == AuthDone;

    /// <inheritdoc />
    public override bool CanRead => IsAuthenticated && !IsDisposed && _inner.CanRead;

    /// <inheritdoc />
    public override bool CanWrite => IsAuthenticated && !IsDisposed && !_shutdown && _inner.CanWrite;

    /// <summary>Always false: a TLS stream cannot seek.</summary>
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanTimeout => _inner.CanTimeout;

    /// <summary>The inner stream's read timeout (it bounds synchronous reads).</summary>
    public override int ReadTimeout
    {
        get => _inner.ReadTimeout;
        set => _inner.ReadTimeout = value;
    }

    /// <summary>The inner stream's write timeout (it bounds synchronous writes).</summary>
    public override int WriteTimeout
    {
        get => _inner.WriteTimeout;
        set => _inner.WriteTimeout = value;
    }

    /// <summary>Not supported.</summary>
    public override long Length => throw new NotSupportedException("A TLS stream has no length.");

    /// <summary>Not supported.</summary>
    public override long Position
    {
        get => throw new NotSupportedException("A TLS stream has no position.");
        set => throw new NotSupportedException("A TLS stream has no position.");
    }

    /// <summary>Bytes of pooled arrays held right now (for tests: an idle stream holds none).</summary>
    internal int HeldBufferBytes
    {
        get
        {
            lock (_gate)
            {
                return _pending.Capacity + _sending.Capacity + _plaintext.Capacity;
            }
        }
    }

    /// <summary>Decrypted plaintext waiting for the next read.</summary>
    internal int BufferedPlaintextBytes => _plaintext.Count;

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Runs the handshake: a client sends its ClientHello, then both roles exchange flights until the handshake
    /// completes. Can be called once. Throws the connection's <see cref="TlsConnection.Failure"/> when the handshake
    /// fails (after sending the alert), <see cref="IOException"/> when the inner stream ends first, and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires (bound the handshake
    /// with it); after any failure the stream is unusable.
    /// </summary>
    public Task AuthenticateAsync(CancellationToken cancellationToken = default) =>
        AuthenticateCoreAsync<AsyncIo>(cancellationToken).AsTask();

    /// <summary>
    /// Closes the TLS layer (<see cref="TlsConnection.Close"/>): sends close_notify when the profile's
    /// <c>send_close_notify</c> is on, without waiting for the peer's. Later writes throw; reads return 0. Idempotent.
    /// It counts as a write (it cannot overlap another one). The inner stream stays open until the stream is disposed.
    /// </summary>
    public Task ShutdownAsync(CancellationToken cancellationToken = default) =>
        ShutdownCoreAsync<AsyncIo>(cancellationToken).AsTask();

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<int>(cancellationToken)
            : ReadCoreAsync<AsyncIo>(buffer, cancellationToken);

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Complete(ReadCoreAsync<SyncIo>(buffer.AsMemory(offset, count), CancellationToken.None));
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return Complete(ReadCoreAsync<SyncIo>(Memory<byte>.Empty, CancellationToken.None));
        }

        // The core works on Memory (it may suspend on other streams), so a span goes through a pooled array.
        byte[] temporary = ArrayPool<byte>.Shared.Rent(buffer.Length);
        int read = 0;
        try
        {
            read = Complete(ReadCoreAsync<SyncIo>(temporary.AsMemory(0, buffer.Length), CancellationToken.None));
            temporary.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            temporary.AsSpan(0, read).Clear();
            ArrayPool<byte>.Shared.Return(temporary);
        }
    }

    /// <inheritdoc />
    public override int ReadByte()
    {
        byte value = 0;
        return Read(new Span<byte>(ref value)) == 1 ? value : -1;
    }

    /// <inheritdoc />
    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

    /// <inheritdoc />
    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled(cancellationToken)
            : WriteCoreAsync<AsyncIo>(buffer, cancellationToken);

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Complete(WriteCoreAsync<SyncIo>(buffer.AsMemory(offset, count), CancellationToken.None));
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] temporary = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(temporary);
            Complete(WriteCoreAsync<SyncIo>(temporary.AsMemory(0, buffer.Length), CancellationToken.None));
        }
        finally
        {
            temporary.AsSpan(0, buffer.Length).Clear();
            ArrayPool<byte>.Shared.Return(temporary);
        }
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    /// <inheritdoc />
    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    /// <inheritdoc />
    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    /// <summary>Flushes the inner stream (every write already handed its ciphertext to it).</summary>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _inner.Flush();
    }

    /// <summary>Flushes the inner stream (every write already handed its ciphertext to it).</summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _inner.FlushAsync(cancellationToken);
    }

    /// <summary>Not supported.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A TLS stream cannot seek.");

    /// <summary>Not supported.</summary>
    public override void SetLength(long value) => throw new NotSupportedException("A TLS stream has no length.");

    /// <summary>
    /// Disposes the connection (sending nothing: call <see cref="ShutdownAsync"/> first for close_notify) and the inner
    /// stream unless <see cref="LeaveInnerStreamOpen"/>. Pending operations then fail.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (DisposeTls() && !_leaveInnerStreamOpen)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        try
        {
            if (disposing && DisposeTls() && !_leaveInnerStreamOpen)
            {
                _inner.Dispose();
            }
        }
        finally
        {
            base.Dispose(disposing);
        }
    }

    /// <summary>Disposes the connection and returns the buffers no operation is using; true on the first call only.</summary>
    private bool DisposeTls()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return false;
        }

        lock (_gate)
        {
            Connection.Dispose();
            _pending.Release();
        }

        // A running read still owns the plaintext buffer; it releases it on the way out when it sees Released.
        if (Interlocked.Exchange(ref _readState, Released) == Idle)
        {
            _plaintext.Release();
        }

        return true;
    }

    private async ValueTask AuthenticateCoreAsync<TIo>(CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Volatile.Read(ref _authState) != AuthNone)
        {
            throw CalledTwice();
        }

        // The handshake owns the read side (its fields and the plaintext buffer) like a read does.
        EnterRead();
        bool started = false;
        int outcome = AuthFailed;
        try
        {
            if (Interlocked.CompareExchange(ref _authState, AuthRunning, AuthNone) != AuthNone)
            {
                throw CalledTwice();
            }

            started = true;
            TlsResult result = default;
            if (Connection.Role == TlsRole.Client)
            {
                lock (_gate)
                {
                    ObjectDisposedException.ThrowIf(IsDisposed, this);
                    result = Connection.Start(_pending);
                }
            }

            bool completed = result.HandshakeCompleted || Connection.State == TlsConnectionState.Established;
            while (true)
            {
                if (result.Status == TlsStatus.Failed || Connection.State == TlsConnectionState.Failed)
                {
                    await SendAlertAsync<TIo>(wait: true, cancellationToken).ConfigureAwait(false);
                    throw Connection.Failure ?? new OpenSslException("TLS handshake failed");
                }

                await FlushOutputAsync<TIo>(cancellationToken).ConfigureAwait(false);
                if (result.Status == TlsStatus.WantsCallback)
                {
                    // The handshake waits for the profile selection callback: no thread is held, no transport read is
                    // needed. Once it completes, driving the connection with no new bytes resumes the handshake.
                    await TIo.WaitAsync(Connection.PendingCallback, cancellationToken).ConfigureAwait(false);
                    result = Decrypt(ReadOnlySpan<byte>.Empty, Memory<byte>.Empty, out _);
                    completed = result.HandshakeCompleted;
                    continue;
                }

                if (result.Status == TlsStatus.PeerClosed)
                {
                    // Completed, and close_notify came in the same flight: reads deliver what came with it, then 0.
                    _readEnded = true;
                }

                if (completed)
                {
                    break;
                }

                if (result.Status == TlsStatus.Closed)
                {
                    ObjectDisposedException.ThrowIf(IsDisposed, this);
                    throw new InvalidOperationException("The TLS connection was closed before its handshake completed.");
                }

                // Application data that arrives with the last flight lands in the plaintext buffer for the first read.
                (TlsResult Result, int Direct)? received = await ReceiveChunkAsync<TIo>(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                if (received is null)
                {
                    throw new IOException("The peer closed the connection during the TLS handshake.");
                }

                result = received.Value.Result;
                completed = result.HandshakeCompleted;
            }

            outcome = AuthDone;
        }
        finally
        {
            if (started)
            {
                Volatile.Write(ref _authState, outcome);
            }

            ExitRead();
        }

        static InvalidOperationException CalledTwice() => new("AuthenticateAsync can be called only once per TlsStream.");
    }

    // Pooling builders: a read or write that has to wait reuses its state machine instead of allocating one each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadCoreAsync<TIo>(Memory<byte> buffer, CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        EnterRead();
        try
        {
            ThrowIfNotAuthenticated();
            if (!_plaintext.IsEmpty)
            {
                return _plaintext.CopyTo(buffer.Span);
            }

            while (true)
            {
                if (_truncated)
                {
                    throw TruncatedException();
                }

                if (_readEnded)
                {
                    return 0;
                }

                // Decided without touching the transport: a read must not wait for data that can never be used.
                switch (Connection.State)
                {
                    case TlsConnectionState.Failed:
                        throw ReadFailure();
                    case TlsConnectionState.Closed:
                        ObjectDisposedException.ThrowIf(IsDisposed, this);
                        return 0; // Shut down locally: the connection reads nothing after its own close.
                }

                if (buffer.IsEmpty)
                {
                    // The caller only asks to be told when data is there: wait on the transport without holding a buffer.
                    await TIo.ReadAsync(_inner, Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                }

                (TlsResult Result, int Direct)? received = await ReceiveChunkAsync<TIo>(buffer, cancellationToken).ConfigureAwait(false);
                if (received is null)
                {
                    _readEnded = true;
                    _truncated = !_framing.AtRecordBoundary;
                    continue;
                }

                (TlsResult result, int delivered) = received.Value;
                if (result.Status == TlsStatus.Failed)
                {
                    await SendAlertAsync<TIo>(wait: false, cancellationToken).ConfigureAwait(false);
                    throw ReadFailure();
                }

                // A read can have to answer (TLS 1.3 KeyUpdate): send it now unless a write is sending, which then will.
                if (HasPendingOutput)
                {
                    await FlushOutputIfFreeAsync<TIo>(cancellationToken).ConfigureAwait(false);
                }

                if (delivered < buffer.Length)
                {
                    delivered += _plaintext.CopyTo(buffer.Span[delivered..]);
                }

                switch (result.Status)
                {
                    case TlsStatus.PeerClosed:
                        _readEnded = true;
                        return delivered;
                    case TlsStatus.Closed:
                        // Shut down locally (or disposed meanwhile): the connection reads nothing more.
                        ObjectDisposedException.ThrowIf(IsDisposed, this);
                        _readEnded = true;
                        return delivered;
                    default:
                        if (delivered > 0 || !_plaintext.IsEmpty)
                        {
                            return delivered; // For a zero-byte read: plaintext is now ready.
                        }

                        break; // Only a partial record or handshake messages (session tickets) came: read on.
                }
            }
        }
        finally
        {
            ExitRead();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteCoreAsync<TIo>(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        EnterWrite();
        try
        {
            ThrowIfNotAuthenticated();
            if (_shutdown)
            {
                throw new InvalidOperationException("The TLS stream was shut down; nothing more can be written.");
            }

            if (buffer.IsEmpty)
            {
                return; // Nothing to encrypt: TLS sends no record for it.
            }

            await TIo.WaitAsync(_outputLock, cancellationToken).ConfigureAwait(false);
            TlsStatus status = TlsStatus.Ok;
            try
            {
                for (int offset = 0; offset < buffer.Length;)
                {
                    int length = Math.Min(WriteChunkSize, buffer.Length - offset);
                    status = Encrypt(buffer.Span.Slice(offset, length));
                    offset += length;
                    if (status != TlsStatus.Ok || offset == buffer.Length)
                    {
                        break;
                    }

                    await DrainAsync<TIo>(cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                _outputLock.Release();
                throw;
            }

            // Sends the last piece (or the alert of a failure) and anything a concurrent read left for us.
            await SendPendingAndReleaseAsync<TIo>(cancellationToken).ConfigureAwait(false);
            if (status != TlsStatus.Ok)
            {
                throw WriteFailure(status);
            }
        }
        finally
        {
            ExitWrite();
        }
    }

    private async ValueTask ShutdownCoreAsync<TIo>(CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        EnterWrite();
        try
        {
            ThrowIfNotAuthenticated();
            if (_shutdown)
            {
                return;
            }

            await TIo.WaitAsync(_outputLock, cancellationToken).ConfigureAwait(false);
            try
            {
                lock (_gate)
                {
                    ObjectDisposedException.ThrowIf(IsDisposed, this);
                    Connection.Close(_pending);
                    _shutdown = true;
                }
            }
            catch
            {
                _outputLock.Release();
                throw;
            }

            await SendPendingAndReleaseAsync<TIo>(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExitWrite();
        }
    }

    /// <summary>Reads one chunk of ciphertext and feeds it to the connection; null at the end of the inner stream.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(TlsResult Result, int Direct)?> ReceiveChunkAsync<TIo>(Memory<byte> direct, CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        // Rented only for this one transport read and returned at once: OpenSSL consumes every byte fed to it.
        byte[] ciphertext = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            int read = await TIo.ReadAsync(_inner, ciphertext, cancellationToken).ConfigureAwait(false);

            // Disposing closes the transport, which may end a pending read as if the peer had closed: say what happened.
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            if (read == 0)
            {
                return null;
            }

            _framing.Advance(ciphertext.AsSpan(0, read));
            TlsResult result = Decrypt(ciphertext.AsSpan(0, read), direct, out int directCount);
            return (result, directCount);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(ciphertext);
        }
    }

    private TlsResult Decrypt(ReadOnlySpan<byte> ciphertext, Memory<byte> direct, out int directCount)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            _sink.Begin(direct);
            try
            {
                return Connection.Receive(ciphertext, _sink, _pending);
            }
            finally
            {
                directCount = _sink.End();
                if (_plaintext.IsEmpty)
                {
                    // The engine asks for a full record's room before each attempt; give back what stayed unused.
                    _plaintext.Release();
                }
            }
        }
    }

    private TlsStatus Encrypt(ReadOnlySpan<byte> plaintext)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            int fragment = Connection.Profile.Tuning.MaxSendFragment > 0 ? Connection.Profile.Tuning.MaxSendFragment : TlsConnection.MaxRecordPlaintext;
            _pending.Reserve(plaintext.Length + (((plaintext.Length / fragment) + 1) * RecordOverhead));
            TlsStatus status = Connection.Send(plaintext, _pending).Status;
            if (_pending.IsEmpty)
            {
                _pending.Release(); // Refused (failed or closed): no buffer may stay behind on an idle stream.
            }

            return status;
        }
    }

    private bool HasPendingOutput
    {
        get
        {
            lock (_gate)
            {
                return !_pending.IsEmpty;
            }
        }
    }

    /// <summary>Waits for the output lock, then sends everything pending.</summary>
    private async ValueTask FlushOutputAsync<TIo>(CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        await TIo.WaitAsync(_outputLock, cancellationToken).ConfigureAwait(false);
        await SendPendingAndReleaseAsync<TIo>(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends pending output if no one is sending. A read must not wait for a write blocked on a full transport (both
    /// peers could then wait on each other); the writer picks the output up before it lets go of the lock.
    /// </summary>
    private ValueTask FlushOutputIfFreeAsync<TIo>(CancellationToken cancellationToken)
        where TIo : IInnerIo =>
        _outputLock.Wait(0) ? SendPendingAndReleaseAsync<TIo>(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>Best effort: the alert of a failure goes out if it can; the failure itself is what gets reported.</summary>
    private async ValueTask SendAlertAsync<TIo>(bool wait, CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        try
        {
            if (wait)
            {
                await FlushOutputAsync<TIo>(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await FlushOutputIfFreeAsync<TIo>(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The transport is gone too; nothing more to tell the peer.
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile.
        }
    }

    /// <summary>
    /// With the output lock held: writes everything pending, in order, and lets go. Output appended meanwhile by a read
    /// that could not take the lock is then sent too: after releasing, a non-empty queue is retaken and drained.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendPendingAndReleaseAsync<TIo>(CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        do
        {
            try
            {
                await DrainAsync<TIo>(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _outputLock.Release();
            }
        }
        while (HasPendingOutput && _outputLock.Wait(0));
    }

    /// <summary>With the output lock held: writes pending ciphertext to the inner stream until none is left.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DrainAsync<TIo>(CancellationToken cancellationToken)
        where TIo : IInnerIo
    {
        while (true)
        {
            PooledByteBuffer batch;
            lock (_gate)
            {
                if (_pending.IsEmpty)
                {
                    return;
                }

                // Swap, so engine calls keep appending to a buffer of their own while this one is written.
                batch = _pending;
                _pending = _sending;
                _sending = batch;
            }

            try
            {
                if (_outputBroken)
                {
                    throw new IOException("An earlier write to the inner stream failed or was canceled part-way; the TLS record stream is broken.");
                }

                await TIo.WriteAsync(_inner, batch.Data, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Part of a record may have gone out: nothing sent after it could be decrypted by the peer.
                _outputBroken = true;
                throw;
            }
            finally
            {
                batch.Release();
            }
        }
    }

    private void EnterRead()
    {
        int prior = Interlocked.CompareExchange(ref _readState, Busy, Idle);
        if (prior == Idle)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(prior == Released, this);
        throw new NotSupportedException("A read is already in progress on this TlsStream: one read at a time (alongside one write) is supported.");
    }

    private void ExitRead()
    {
        if (Interlocked.CompareExchange(ref _readState, Idle, Busy) == Released)
        {
            _plaintext.Release(); // Disposed while this read ran: the buffer is ours to return.
        }
    }

    private void EnterWrite()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Interlocked.CompareExchange(ref _writeState, Busy, Idle) != Idle)
        {
            throw new NotSupportedException("A write is already in progress on this TlsStream: one write at a time (alongside one read) is supported.");
        }
    }

    private void ExitWrite() => Volatile.Write(ref _writeState, Idle);

    private void ThrowIfNotAuthenticated()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!IsAuthenticated)
        {
            throw new InvalidOperationException("The TLS stream is not authenticated: call AuthenticateAsync first, and let it succeed.");
        }
    }

    private IOException ReadFailure() =>
        new("The TLS connection failed: " + Connection.Failure?.Message, Connection.Failure);

    private Exception WriteFailure(TlsStatus status) => status switch
    {
        TlsStatus.Failed => new IOException("The TLS connection failed: " + Connection.Failure?.Message, Connection.Failure),
        TlsStatus.PeerClosed => new IOException("The peer closed the TLS connection (close_notify); the connection sends nothing after that."),
        TlsStatus.Closed when IsDisposed => new ObjectDisposedException(GetType().FullName),
        _ => new InvalidOperationException($"The TLS connection cannot send in its state ({status})."),
    };

    private static IOException TruncatedException() =>
        new("The inner stream ended in the middle of a TLS record: the data was truncated.");

    /// <summary>Runs an operation that, with <see cref="SyncIo"/>, completed synchronously.</summary>
    private static T Complete<T>(ValueTask<T> operation) =>
        operation.IsCompleted ? operation.GetAwaiter().GetResult() : operation.AsTask().GetAwaiter().GetResult();

    private static void Complete(ValueTask operation)
    {
        if (operation.IsCompleted)
        {
            operation.GetAwaiter().GetResult();
        }
        else
        {
            operation.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// The transport calls, as static members of a type parameter: each core method is written once and compiled for
    /// both the asynchronous and the synchronous API, without sync-over-async.
    /// </summary>
    private interface IInnerIo
    {
        static abstract ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken);

        static abstract ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

        static abstract ValueTask WaitAsync(SemaphoreSlim semaphore, CancellationToken cancellationToken);

        static abstract ValueTask WaitAsync(Task task, CancellationToken cancellationToken);
    }

    private readonly struct AsyncIo : IInnerIo
    {
        public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) =>
            stream.ReadAsync(buffer, cancellationToken);

        public static ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
            stream.WriteAsync(buffer, cancellationToken);

        public static ValueTask WaitAsync(SemaphoreSlim semaphore, CancellationToken cancellationToken) =>
            new(semaphore.WaitAsync(cancellationToken));

        public static ValueTask WaitAsync(Task task, CancellationToken cancellationToken) =>
            new(task.WaitAsync(cancellationToken));
    }

    private readonly struct SyncIo : IInnerIo
    {
        public static ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) =>
            new(stream.Read(buffer.Span));

        public static ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        {
            stream.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public static ValueTask WaitAsync(SemaphoreSlim semaphore, CancellationToken cancellationToken)
        {
            semaphore.Wait(cancellationToken);
            return ValueTask.CompletedTask;
        }

        public static ValueTask WaitAsync(Task task, CancellationToken cancellationToken)
        {
            task.Wait(cancellationToken);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// The plaintext writer given to <see cref="TlsConnection.Receive(ReadOnlySpan{byte}, System.Buffers.IBufferWriter{byte}, System.Buffers.IBufferWriter{byte})"/>: hands out the caller's read buffer while it
    /// has a full record's room (decrypting in place, no copy), then the pooled overflow buffer.
    /// </summary>
    private sealed class PlaintextSink(PooledByteBuffer overflow) : IBufferWriter<byte>
    {
        private Memory<byte> _direct;
        private int _directCount;
        private bool _spilled;
        private bool _lastWasDirect;

        public void Begin(Memory<byte> direct)
        {
            _direct = direct;
            _directCount = 0;
            _spilled = false;
        }

        public int End()
        {
            _direct = Memory<byte>.Empty;
            return _directCount;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            if (!_spilled && _direct.Length - _directCount >= Math.Max(sizeHint, 1))
            {
                _lastWasDirect = true;
                return _direct[_directCount..];
            }

            // Once anything went to the overflow, everything after it must too, or the byte order would break.
            _spilled = true;
            _lastWasDirect = false;
            return overflow.GetMemory(sizeHint);
        }

        public void Advance(int count)
        {
            if (!_lastWasDirect)
            {
                overflow.Advance(count);
                return;
            }

            ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)(_direct.Length - _directCount), nameof(count));
            _directCount += count;
        }
    }
}
