using System.Buffers;
using System.IO.Pipelines;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// TLS over a transport <see cref="IDuplexPipe"/> (ciphertext: a socket's pipe, Kestrel's <c>ConnectionContext.Transport</c>),
/// exposed as an <see cref="IDuplexPipe"/> of plaintext: <see cref="Input"/> gives what the peer sent,
/// <see cref="Output"/> takes what to send. Call <see cref="AuthenticateAsync"/> once; then two loops move data until
/// either side ends. The adapter owns the <see cref="TlsConnection"/> (disposing the adapter disposes it).
/// <para>
/// No copies of application data: each segment of the transport reader's buffer is fed to OpenSSL where it lies (the
/// <see cref="TlsConnection.Receive(in ReadOnlySequence{byte}, IBufferWriter{byte}, IBufferWriter{byte})"/> path) and
/// decrypted straight into <see cref="Input"/>'s memory; each segment of <see cref="Output"/> is encrypted straight into
/// the transport writer's memory (at least one record per segment). OpenSSL takes every ciphertext byte it is given
/// (it keeps partial records itself), so the transport reader is always advanced to the end of what it returned.
/// Control messages that reading produces (TLS 1.3 KeyUpdate replies, a TLS 1.2 renegotiation flight, an alert) are
/// handed to the sending loop, which writes them in engine order before later records: only one loop ever writes to the
/// transport, and reading never waits for a transport that does not drain.
/// </para>
/// <para>
/// Back-pressure: reading the transport waits while the application leaves more plaintext unread than
/// <see cref="TlsDuplexPipeOptions.InputPipeOptions"/>' pause threshold; taking from <see cref="Output"/> waits while
/// the transport's flush waits, so <see cref="Output"/>'s own threshold then stops the application's flush. Plaintext is
/// taken from <see cref="Output"/> in pieces of at most 60 KiB per transport flush.
/// </para>
/// <para>
/// Completion: completing <see cref="Output"/> closes the TLS connection (close_notify when the profile's
/// <c>send_close_notify</c> is on), then completes the transport's writer; reading then ends too, as the connection
/// reads nothing after its own close. A close_notify from the peer completes <see cref="Input"/>, answers with
/// close_notify (with <c>send_close_notify</c>), completes the transport's writer and lets the application's
/// <c>FlushAsync</c> report completion (nothing more can be sent). The transport ending between two records completes
/// <see cref="Input"/> without error (SIP peers often close TCP without close_notify; tell the two apart by
/// <see cref="TlsConnection.State"/>) and leaves sending running; an end inside a record is a truncation. The
/// application completing <see cref="Input"/> makes the adapter drop the plaintext the peer sends from then on; the
/// transport is still read (the peer's writes are taken, TLS control messages handled) and sending goes on.
/// </para>
/// <para>
/// Errors end both directions, and the application sees the same exception on <see cref="Input"/>'s read and
/// <see cref="Output"/>'s flush: the transport's own exception, an <see cref="IOException"/> whose inner exception is the
/// connection's <see cref="TlsConnection.Failure"/> after a TLS failure (its alert is sent first), an
/// <see cref="IOException"/> for a truncated record or a transport that stopped taking output, or the exception the
/// application completed <see cref="Output"/> or <see cref="Input"/> with. Completing <see cref="Output"/> with an
/// exception aborts: no close_notify is sent and the transport's writer is completed with that exception.
/// <c>CancelPendingRead</c> and <c>CancelPendingFlush</c> on the application's ends behave as on any pipe.
/// </para>
/// </summary>
public sealed class TlsDuplexPipe : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Plaintext encrypted per transport flush: large writes go out in pieces, so the transport's back-pressure is felt.</summary>
    private const int WriteChunkSize = (4 * TlsConnection.MaxRecordPlaintext) - 4096;

    private const int StateNew = 0;
    private const int StateAuthenticating = 1;
    private const int StateRunning = 2;
    private const int StateFailed = 3;

    private readonly IDuplexPipe _transport;
    private readonly Pipe _input;
    private readonly Pipe _output;

    /// <summary>
    /// Held around every engine call together with the writes into <see cref="_deferred"/> and the transport writer, so
    /// ciphertext reaches the transport in exactly the order the engine produced it.
    /// </summary>
    private readonly Lock _gate = new();

    /// <summary>Ciphertext the reading loop produced, for the sending loop to write (guarded by <see cref="_gate"/>); holds no array when empty.</summary>
    private readonly PooledByteBuffer _deferred = new(clearOnRelease: false);

    private int _state;
    private bool _disposed; // written under _gate
    private Exception? _failure;
    private volatile bool _peerClosed;
    private volatile bool _outputClosed;
    private volatile bool _receiveDone;
    private volatile bool _sendDone;
    private Task? _handshake; // while it runs (or failed): a completed handshake's task is let go, so an idle adapter does not hold it
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;

    /// <summary>
    /// Wraps <paramref name="transport"/> (ciphertext) and <paramref name="connection"/> (new, not yet started). The
    /// adapter becomes the transport's only reader and writer, and completes both ends when it is done with them.
    /// </summary>
    public TlsDuplexPipe(IDuplexPipe transport, TlsConnection connection, TlsDuplexPipeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(connection);
        if (transport.Input is null || transport.Output is null)
        {
            throw new ArgumentException("The transport pipe has no Input or no Output.", nameof(transport));
        }

        options ??= new TlsDuplexPipeOptions();
        _transport = transport;
        Connection = connection;
        _input = new Pipe(options.InputPipeOptions ?? throw new ArgumentException("InputPipeOptions is null.", nameof(options)));
        _output = new Pipe(options.OutputPipeOptions ?? throw new ArgumentException("OutputPipeOptions is null.", nameof(options)));
    }

    /// <summary>The TLS engine; its <see cref="TlsConnection.Info"/> describes the session once authenticated.</summary>
    public TlsConnection Connection { get; }

    /// <summary>The transport pipe the ciphertext goes through.</summary>
    public IDuplexPipe Transport => _transport;

    /// <summary>Plaintext received from the peer.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>Plaintext to send to the peer; it goes out once <see cref="AuthenticateAsync"/> completed.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>True once <see cref="AuthenticateAsync"/> completed the handshake.</summary>
    public bool IsAuthenticated => Volatile.Read(ref _state) == StateRunning;

    /// <summary>
    /// Completes when both directions have ended; after it, every pipe end the adapter owns is completed. A host that
    /// completes <see cref="Output"/> to close (close_notify with <c>send_close_notify</c>) awaits this, bounded, before
    /// <see cref="DisposeAsync"/>, so the close is not cut short. Read it after <see cref="AuthenticateAsync"/> completed
    /// (before, it is already complete). Never faults: the failures are the pipes' to report.
    /// </summary>
    public Task Completion => Task.WhenAll(_receiving, _sending).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Bytes of the array held for ciphertext the reading loop left for the sending loop (tests: 0 when idle).</summary>
    internal int HeldDeferredBytes
    {
        get
        {
            lock (_gate)
            {
                return _deferred.Capacity;
            }
        }
    }

    private bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>
    /// Runs the handshake over the transport (a client sends its ClientHello first), then starts moving data. Can be
    /// called once. Throws the connection's <see cref="TlsConnection.Failure"/> (a <see cref="TlsException"/>, usually
    /// an <see cref="OpenSslException"/>) when the handshake fails, after sending the alert; a
    /// <see cref="TlsPeerClosedException"/> when the transport ends first; <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> fires (bound the handshake with it); <see cref="ObjectDisposedException"/>
    /// when the adapter is disposed meanwhile. After any failure the adapter is unusable: dispose it.
    /// </summary>
    public Task AuthenticateAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state != StateNew)
            {
                throw new InvalidOperationException("AuthenticateAsync can be called only once per TlsDuplexPipe.");
            }

            _state = StateAuthenticating;
        }

        // Started outside _gate (it runs on until its first wait); a disposal meanwhile is seen by the handshake itself.
        // Kept only if it has not already let itself go (a handshake that succeeded at once).
        Task handshake = HandshakeAsync(cancellationToken);
        if (!handshake.IsCompletedSuccessfully)
        {
            Interlocked.CompareExchange(ref _handshake, handshake, null);
        }

        return handshake;
    }

    /// <summary>
    /// Stops both loops, disposes the connection (sending nothing: complete <see cref="Output"/> first for close_notify)
    /// and completes every pipe end: the transport's, and the application's too, so the pipes' memory goes back to its
    /// pool. Call it once the application no longer uses <see cref="Input"/> and <see cref="Output"/>. Idempotent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        WakeReceiver();
        WakeSender();
        Try(_transport.Output.CancelPendingFlush);
        await Quietly(Volatile.Read(ref _handshake) ?? Task.CompletedTask).ConfigureAwait(false);
        await Quietly(_receiving).ConfigureAwait(false);
        await Quietly(_sending).ConfigureAwait(false);
        lock (_gate)
        {
            Connection.Dispose();
            _deferred.Release();
        }

        if (Volatile.Read(ref _state) != StateRunning)
        {
            // The loops never ran: the ends they would have completed are ours to complete.
            Try(() => _transport.Input.Complete());
            Try(() => _transport.Output.Complete());
            _input.Writer.Complete();
            _output.Reader.Complete();
        }

        _input.Reader.Complete();
        _output.Writer.Complete();

        static async Task Quietly(Task task)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Reported to whoever awaited it (the handshake's caller, the application through the pipes).
            }
        }
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        PipeReader reader = _transport.Input;
        PipeWriter writer = _transport.Output;
        bool succeeded = false;
        try
        {
            TlsResult result = default;
            if (Connection.Role == TlsRole.Client)
            {
                lock (_gate)
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    result = Connection.Start(writer);
                }
            }

            bool completed = result.HandshakeCompleted || Connection.State == TlsConnectionState.Established;
            while (true)
            {
                if (result.Status == TlsStatus.Failed || Connection.State == TlsConnectionState.Failed)
                {
                    await SendAlertAsync(writer).ConfigureAwait(false);
                    ObjectDisposedException.ThrowIf(IsDisposed, this);
                    throw Connection.Failure ?? new TlsException("TLS handshake failed");
                }

                if (result.Status == TlsStatus.Closed)
                {
                    ObjectDisposedException.ThrowIf(IsDisposed, this);
                    throw new InvalidOperationException("The TLS connection was closed before its handshake completed.");
                }

                FlushResult flushed = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                ObjectDisposedException.ThrowIf(IsDisposed, this); // Dispose cancels a pending flush
                if (flushed.IsCompleted)
                {
                    throw new TlsPeerClosedException("TLS handshake failed: the transport no longer takes output");
                }

                if (completed)
                {
                    break;
                }

                ReadResult read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                if (IsDisposed)
                {
                    reader.AdvanceTo(buffer.Start); // Dispose cancelled the pending read
                    throw new ObjectDisposedException(GetType().FullName);
                }

                if (!buffer.IsEmpty)
                {
                    // Application data that came with the last flight lands in Input; the reading loop flushes it.
                    lock (_gate)
                    {
                        result = Connection.Receive(buffer, _input.Writer, writer);
                    }
                }

                reader.AdvanceTo(buffer.End);
                completed = result.HandshakeCompleted;
                if (read.IsCompleted && !completed && result.Status != TlsStatus.Failed)
                {
                    throw new TlsPeerClosedException("TLS handshake failed: the transport ended before the handshake completed");
                }
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                Volatile.Write(ref _state, StateRunning);

                // Each loop yields to the thread pool first (off this thread and outside _gate), as Task.Run did,
                // without Task.Run's delegate, outer task and unwrapping promise per loop.
                _receiving = ReceiveLoopAsync();
                _sending = SendLoopAsync();
            }

            succeeded = true;

            // Nothing waits for a completed handshake but its caller: an idle connection does not keep its state machine.
            Volatile.Write(ref _handshake, Task.CompletedTask);
        }
        finally
        {
            if (!succeeded)
            {
                Volatile.Write(ref _state, StateFailed);
            }
        }
    }

    /// <summary>Best effort: the alert of a failed handshake goes out if it can; the failure itself is what gets reported.</summary>
    private async ValueTask SendAlertAsync(PipeWriter writer)
    {
        try
        {
            await writer.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The transport is gone too; nothing more to tell the peer.
        }
    }

    /// <summary>Transport to application: decrypts what arrives into <see cref="Input"/>, waiting while the application lags.</summary>
    private async Task ReceiveLoopAsync()
    {
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding); // to the thread pool, no context
        PipeReader transport = _transport.Input;
        PipeWriter application = _input.Writer;
        DiscardingWriter? discard = null;
        Exception? error = null;
        try
        {
            // Plaintext that came with the handshake's last flight, and a close_notify in that same flight.
            if ((await application.FlushAsync().ConfigureAwait(false)).IsCompleted)
            {
                discard = new DiscardingWriter();
            }

            if (Connection.State == TlsConnectionState.PeerClosed)
            {
                OnPeerClosed();
                return;
            }

            while (true)
            {
                ReadResult read = await transport.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                TlsResult result = new(TlsStatus.Ok);
                bool deferred = false;
                if (!buffer.IsEmpty && !ReceiveStopping)
                {
                    lock (_gate)
                    {
                        result = Connection.Receive(buffer, discard ?? (IBufferWriter<byte>)application, _deferred);
                        deferred = !_deferred.IsEmpty;
                    }
                }

                transport.AdvanceTo(buffer.End);
                if (deferred)
                {
                    WakeSender();
                }

                switch (result.Status)
                {
                    case TlsStatus.Failed:
                        error = Fail(new IOException("The TLS connection failed: " + Connection.Failure?.Message, Connection.Failure));
                        return;
                    case TlsStatus.PeerClosed:
                        await application.FlushAsync().ConfigureAwait(false);
                        OnPeerClosed();
                        return;
                    case TlsStatus.Closed:
                        error = _failure; // closed locally: the application completed Output, or disposal
                        return;
                }

                if (ReceiveStopping)
                {
                    error = _failure;
                    return;
                }

                // The application stopped reading: what the peer sends from then on is decrypted and dropped. The
                // transport keeps being read, so the peer's writes are taken (as a socket's kernel buffer would take
                // them) and TLS control messages (KeyUpdate, close_notify) are still handled; only the plaintext goes.
                if (discard is null && (await application.FlushAsync().ConfigureAwait(false)).IsCompleted)
                {
                    discard = new DiscardingWriter();
                }

                if (read.IsCompleted)
                {
                    if (Connection.ReadBufferFacts().PartialRecordBytes != 0)
                    {
                        error = Fail(new IOException("The transport ended in the middle of a TLS record: the data was truncated."));
                    }

                    return;
                }
            }
        }
        catch (Exception e)
        {
            error = Fail(e);
        }
        finally
        {
            _receiveDone = true;
            TryComplete(transport);
            application.Complete(error);
        }
    }

    /// <summary>Application to transport: encrypts what the application wrote, waiting while the transport does not drain.</summary>
    private async Task SendLoopAsync()
    {
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding); // to the thread pool, no context
        PipeReader application = _output.Reader;
        PipeWriter transport = _transport.Output;
        Exception? applicationError = null; // what the application's writer learns
        Exception? transportError = null;   // what the transport's reader learns (an abort)
        try
        {
            while (true)
            {
                ReadResult read;
                try
                {
                    read = await application.ReadAsync().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // The application completed Output with an exception: abort, without close_notify.
                    transportError = e;
                    applicationError = Fail(e);
                    return;
                }

                ReadOnlySequence<byte> buffer = read.Buffer;
                if (SendStopping)
                {
                    application.AdvanceTo(buffer.End);
                    applicationError = await FinishAsync(transport).ConfigureAwait(false);
                    return;
                }

                ReadOnlySequence<byte> chunk = buffer.Length > WriteChunkSize ? buffer.Slice(0, WriteChunkSize) : buffer;
                bool last = read.IsCompleted && chunk.Length == buffer.Length;
                TlsStatus status = TlsStatus.Ok;
                bool wrote;
                lock (_gate)
                {
                    wrote = MoveDeferred(transport);
                    foreach (ReadOnlyMemory<byte> segment in chunk)
                    {
                        if (segment.IsEmpty)
                        {
                            continue;
                        }

                        status = Connection.Send(segment.Span, transport).Status;
                        wrote = true; // also on failure: the alert may be there
                        if (status != TlsStatus.Ok)
                        {
                            break;
                        }
                    }

                    if (last && status == TlsStatus.Ok)
                    {
                        _outputClosed = true;
                        Connection.Close(transport);
                        wrote = true;
                    }
                }

                application.AdvanceTo(chunk.End);
                if (wrote && (await transport.FlushAsync().ConfigureAwait(false)).IsCompleted && !last)
                {
                    applicationError = Fail(new IOException("The transport no longer takes output (its reader completed)."));
                    return;
                }

                switch (status)
                {
                    case TlsStatus.Failed:
                        applicationError = Fail(new IOException("The TLS connection failed: " + Connection.Failure?.Message, Connection.Failure));
                        return;
                    case TlsStatus.PeerClosed:
                        // The peer's close_notify came first; the reading loop says so too, and the reply goes out here.
                        _peerClosed = true;
                        applicationError = await FinishAsync(transport).ConfigureAwait(false);
                        return;
                    case TlsStatus.Closed:
                        applicationError = _failure; // disposed meanwhile
                        return;
                }

                if (last)
                {
                    WakeReceiver(); // The connection reads nothing after its own close.
                    return;
                }
            }
        }
        catch (Exception e)
        {
            applicationError = Fail(e);
        }
        finally
        {
            _sendDone = true;
            application.Complete(applicationError);
            TryComplete(transport, transportError);
        }
    }

    /// <summary>
    /// The sending loop's last step when the other side of things ended: after a failure, the alert the reading loop
    /// left; after the peer's close_notify, the reply (with <c>send_close_notify</c>); after disposal, nothing. Returns
    /// the exception the application's writer is completed with.
    /// </summary>
    private async ValueTask<Exception?> FinishAsync(PipeWriter transport)
    {
        bool wrote;
        lock (_gate)
        {
            if (_disposed)
            {
                return _failure;
            }

            wrote = MoveDeferred(transport);
            if (_failure is null && _peerClosed)
            {
                Connection.Close(transport);
                wrote = true;
            }
        }

        if (wrote)
        {
            try
            {
                await transport.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_failure is not null)
            {
                // Best effort after a failure: the failure is what gets reported, not that its alert did not go out.
            }
        }

        return _failure;
    }

    /// <summary>With <see cref="_gate"/> held: copies the reading loop's ciphertext into the transport writer, ahead of anything encrypted after it.</summary>
    private bool MoveDeferred(PipeWriter transport)
    {
        if (_deferred.IsEmpty)
        {
            return false;
        }

        ReadOnlySpan<byte> data = _deferred.Data.Span;
        data.CopyTo(transport.GetSpan(data.Length));
        transport.Advance(data.Length);
        _deferred.Release();
        return true;
    }

    private void OnPeerClosed()
    {
        _peerClosed = true;
        WakeSender();
    }

    private bool ReceiveStopping => _failure is not null || IsDisposed || _outputClosed;

    private bool SendStopping => _failure is not null || IsDisposed || _peerClosed;

    /// <summary>Records the first failure (it ends both directions) and wakes the other loop; returns the failure that counts.</summary>
    private Exception Fail(Exception error)
    {
        Exception first = Interlocked.CompareExchange(ref _failure, error, null) ?? error;
        WakeReceiver();
        WakeSender();
        return first;
    }

    /// <summary>
    /// Makes the sending loop look again: its read of <see cref="Output"/> returns at once. Its transport flush is never
    /// cancelled here (that could cut a record short on a stream transport); only disposal does that.
    /// </summary>
    private void WakeSender()
    {
        if (!_sendDone)
        {
            Try(_output.Reader.CancelPendingRead);
        }
    }

    /// <summary>Makes the reading loop look again: its transport read and its flush into <see cref="Input"/> return at once.</summary>
    private void WakeReceiver()
    {
        if (!_receiveDone)
        {
            Try(_transport.Input.CancelPendingRead);
            Try(_input.Writer.CancelPendingFlush);
        }
    }

    /// <summary>
    /// Completes a transport end that may already be completed. A method, not a lambda: a closure over a loop's local
    /// would be allocated when the loop starts and kept by its state machine for the connection's whole life.
    /// </summary>
    private static void TryComplete(PipeReader reader)
    {
        try
        {
            reader.Complete();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException)
        {
            // Already completed or disposed.
        }
    }

    /// <inheritdoc cref="TryComplete(PipeReader)"/>
    private static void TryComplete(PipeWriter writer, Exception? error)
    {
        try
        {
            writer.Complete(error);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException)
        {
            // Already completed or disposed.
        }
    }

    /// <summary>Runs a pipe call that may race with the owner completing that pipe end; losing the race is harmless.</summary>
    private static void Try(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException)
        {
            // Already completed or disposed.
        }
    }

    /// <summary>Where plaintext goes once the application completed <see cref="Input"/>: one buffer, reused, never read.</summary>
    private sealed class DiscardingWriter : IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[TlsConnection.SequencePlaintextRoom];

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Room(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Room(sizeHint);

        private byte[] Room(int sizeHint)
        {
            if (sizeHint > _buffer.Length)
            {
                _buffer = new byte[sizeHint];
            }

            return _buffer;
        }
    }
}
