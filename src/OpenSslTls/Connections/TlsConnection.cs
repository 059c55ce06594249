using System.Buffers;
using OpenSslTls.Certificates;
using OpenSslTls.Interop;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// One TLS connection (server or client) driven through caller buffers: the caller owns the socket, feeds received
/// ciphertext to <see cref="Receive(ReadOnlySpan{byte}, IBufferWriter{byte}, IBufferWriter{byte})"/>, and sends whatever the output writer collects. Plaintext written before the
/// handshake completes is queued (bounded by <c>con_ct_wq_max</c>/<c>ct_wq_max</c>) and encrypted, in order, as soon
/// as it completes. Operations are serialised internally, so a reader and a writer thread may share a connection;
/// <see cref="Dispose"/> may race with them safely. A server connection makes its <c>SSL</c> only when the first
/// bytes arrive and pass <see cref="ClientHelloGate"/> (as Kamailio does, and so a peer that sends nothing or an
/// oversized hello costs little).
/// </summary>
public sealed class TlsConnection : IDisposable
{
    /// <summary>The largest plaintext one TLS record carries: the span size asked of the plaintext writer.</summary>
    public const int MaxRecordPlaintext = SslEngine.MaxRecordPlaintext;

    /// <summary>
    /// The least room <see cref="Receive(in ReadOnlySequence{byte}, IBufferWriter{byte}, IBufferWriter{byte})"/> asks of
    /// its plaintext writer per decrypt: half a default pipe segment, so small records share a segment.
    /// </summary>
    public const int SequencePlaintextRoom = 2048;

    private readonly Lock _lock = new();
    private readonly SslEngineOptions _engineOptions;
    private readonly SafeSslSessionHandle? _resumeSession;
    private readonly string? _expectedName;            // a client's server name to check (verify_hostname), or null
    private readonly CertificateValidator? _validator; // the validation callback to attach when the SSL is made, or null
    private SslEngine? _engine;
    private static byte[]? s_lastFallbackWire; // the last fallback ALPN list converted (FallbackWireList)
    private byte[]? _fallbackProtocols; // a server's ALPN list (wire format) for profiles that set none, or null; shared, never written

    // A server connection's own reference to its context until the SSL is made (which takes one of its own), so a
    // profile disposed before the first bytes arrive does not fail the connection: today's SSL_new kept it alive too.
    private PendingContext _pendingContext;
    private ClientHelloGate? _gate;
    private readonly ClearTextQueue _queue;
    private readonly string? _serverName;
    private readonly TlsProfile _initialProfile;
    private readonly ServerNameChoice? _serverNameChoice;
    private TlsConnectionState _state;
    private bool _wasEstablished;
    private volatile bool _carriedApplicationData;
    private readonly IConnectionObserver _observer;
    private TlsConnectionInfo? _info;
    private TlsRecordFraming _received; // the record framing of every ciphertext byte taken, for tls.list's enc_rd_buf

    // Ciphertext that arrived while the handshake waited for an asynchronous callback: fed first when it resumes.
    private byte[]? _held;
    private int _heldLength;

    internal TlsConnection(
        TlsProfile profile,
        string? serverName,
        TlsSession? resumeSession,
        TlsServerNameSelector? serverNameSelector,
        IConnectionObserver observer,
        SslEngineOptions engineOptions,
        TlsCertificateValidationCallback? certificateValidation = null,
        TlsServerProfileSelectionCallback? serverProfileSelection = null)
    {
        if (serverNameSelector is not null && serverProfileSelection is not null)
        {
            throw new ArgumentException("Give a server name selector or a server profile selection callback, not both.", nameof(serverProfileSelection));
        }

        _observer = observer;
        _initialProfile = profile;
        _serverName = profile.Role == TlsRole.Client ? serverName ?? profile.Settings.ServerName : null;
        _serverNameChoice = profile.Role != TlsRole.Server ? null
            : serverProfileSelection is not null ? new ServerNameChoice(profile, serverProfileSelection, observer.LocalEndPoint, observer.RemoteEndPoint)
            : serverNameSelector is not null ? new ServerNameChoice(profile, serverNameSelector)
            : null;
        _queue = new ClearTextQueue(profile.Runtime);
        _expectedName = ExpectedServerName(profile, _serverName, observer);

        // A client's callback replaces its profile's. A server's runs on the client's certificate: its own, else the
        // one of the profile in use when the certificate arrives (an SNI switch attaches it if the initial profile has none).
        _validator = certificateValidation is not null || profile.Settings.CertificateValidation is not null
            ? certificateValidation is null && _serverNameChoice is not null
                ? _serverNameChoice.Validator
                : new CertificateValidator(certificateValidation, profile, _serverNameChoice)
            : null;
        _engineOptions = engineOptions;
        if (profile.Role == TlsRole.Server)
        {
            // The SSL waits for the first bytes (CreateEngine); only a bad engine choice fails here, as it always did.
            SslEngine.CheckOptions(engineOptions);
            _pendingContext = PendingContext.Hold(profile.Context);
            _state = TlsConnectionState.Handshaking;
        }
        else
        {
            // A resumed handshake checks no certificate: a session verified for one name offered for another would
            // let that name's server be trusted on the first one's word (RFC 8446 4.6.1: not across SNI names either).
            if (resumeSession is not null && !resumeSession.BelongsTo(_serverName, _expectedName))
            {
                throw new ArgumentException(
                    $"The session to resume was made for {Describe(resumeSession.ServerName, resumeSession.CheckedName)}; this connection is for "
                    + $"{Describe(_serverName, _expectedName)}. Offer a session only to the server it was made with.",
                    nameof(resumeSession));
            }

            _resumeSession = resumeSession?.Handle;
            _engine = CreateEngine();
            _state = TlsConnectionState.New;
        }
    }

    /// <summary>
    /// The name a client checks the server's certificate against (verify_hostname): the server name, else the IP
    /// address the module opened the connection to; null for servers, with verify_hostname off, or when none is known.
    /// </summary>
    private static string? ExpectedServerName(TlsProfile profile, string? serverName, IConnectionObserver observer)
    {
        if (profile.Role != TlsRole.Client || !profile.Settings.VerifyHostname)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(serverName))
        {
            return serverName;
        }

        System.Net.IPAddress? address = observer.RemoteEndPoint?.Address;
        return address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    private static string Describe(string? serverName, string? checkedName) =>
        $"server name '{serverName ?? "(none)"}', certificate name checked '{checkedName ?? "(none)"}'";

    /// <summary>The profile in use: the one the connection was created from, or the one SNI switched it to.</summary>
    public TlsProfile Profile => _serverNameChoice?.Selected ?? _initialProfile;

    /// <summary>Server or client.</summary>
    public TlsRole Role => Profile.Role;

    /// <summary>The current state.</summary>
    public TlsConnectionState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// Why the connection failed, once <see cref="State"/> is <see cref="TlsConnectionState.Failed"/>: an
    /// <see cref="OpenSslException"/> when OpenSSL reported the error, <see cref="TlsPeerClosedException"/> when the peer
    /// closed during the handshake, <see cref="TlsCallbackException"/> when the SNI selector, a validation or selection
    /// callback or the output buffer writer threw, <see cref="TlsClientHelloRejectedException"/> when the first bytes
    /// were no acceptable ClientHello or the profile selection refused the client, <see cref="TlsLowMemoryException"/>
    /// when I/O was refused for low memory.
    /// </summary>
    public TlsException? Failure { get; private set; }

    /// <summary>
    /// Completes when the asynchronous callback the handshake waits for (a <see cref="TlsServerProfileSelectionCallback"/>;
    /// operations report <see cref="TlsStatus.WantsCallback"/>) has finished; a completed task when nothing is pending.
    /// It never faults: call <c>Receive</c> (with an empty span when no bytes came) to resume the handshake, which
    /// reports the callback's failure. Its continuations run on the thread pool. Disposing the connection cancels the
    /// callback's token.
    /// </summary>
    public Task PendingCallback
    {
        get
        {
            lock (_lock)
            {
                return _serverNameChoice?.Pending ?? Task.CompletedTask;
            }
        }
    }

    /// <summary>Plaintext bytes waiting for the handshake to complete.</summary>
    public int QueuedBytes
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// What <c>tls.list</c> shows of the connection's buffers: clear text queued, ciphertext of an incomplete record
    /// taken (kept by the ClientHello gate or by OpenSSL), decrypted bytes OpenSSL holds, whether its SSL frees idle
    /// record buffers, whether the handshake ever completed. Read under the connection's lock.
    /// </summary>
    internal ConnectionBufferFacts ReadBufferFacts()
    {
        lock (_lock)
        {
            // Under _lock no operation or Dispose runs, so the SSL cannot be freed under these reads.
            bool native = _engine is not null && !_engine.Handle.IsClosed;
            return new ConnectionBufferFacts(
                _queue.Count,
                _received.PartialRecordBytes,
                native ? _engine!.PendingPlaintext : 0,
                native && _engine!.ReleasesBuffers,
                _wasEstablished);
        }
    }

    /// <summary>The id a <c>TlsModule</c> gave this connection (for <c>tls.list</c>/<c>tls.kill</c>); 0 when made by a bare profile.</summary>
    public long Id => _observer.Id;

    /// <summary>The local endpoint the host reported when the module created the connection, if any.</summary>
    public System.Net.IPEndPoint? LocalEndPoint => _observer.LocalEndPoint;

    /// <summary>The remote endpoint the host reported when the module created the connection, if any.</summary>
    public System.Net.IPEndPoint? RemoteEndPoint => _observer.RemoteEndPoint;

    /// <summary>
    /// Whether application data has passed yet: plaintext decrypted from the peer, or plaintext accepted by
    /// <see cref="Send"/> (queued included). Kamailio's idle limits hang on it: <c>connection_timeout</c> before, core
    /// <c>tcp_connection_lifetime</c> after. Handshake bytes alone do not count. Read without the lock.
    /// </summary>
    internal bool CarriedApplicationData => _carriedApplicationData;

    internal int QueueBlockCount
    {
        get
        {
            lock (_lock)
            {
                return _queue.BlockCount;
            }
        }
    }

    /// <summary>
    /// The TLS facts (protocol, cipher, SNI, certificates, verification), read from OpenSSL on first access after the
    /// handshake and cached; null before the handshake completes or when the connection was disposed before any read.
    /// </summary>
    public TlsConnectionInfo? Info
    {
        get
        {
            lock (_lock)
            {
                if (_info is null && _wasEstablished && _engine is not null && !_engine.Handle.IsClosed)
                {
                    using var lease = new HandleLease(_engine.Handle);
                    _info = ReadInfo();
                }

                return _info;
            }
        }
    }

    /// <summary>
    /// The negotiated protocol's wire version (0x0304 for TLS 1.3), 0 before the handshake or after disposal: what a
    /// metric needs, without reading the certificates and chain that <see cref="Info"/> reads.
    /// </summary>
    internal int ProtocolVersion
    {
        get
        {
            lock (_lock)
            {
                return _wasEstablished && _engine is not null && !_engine.Handle.IsClosed ? _engine.ProtocolVersion : 0;
            }
        }
    }

    /// <summary>
    /// Server: the ALPN protocols (RFC 7301) to select from, in this order of preference, when the profile in use sets
    /// none (a profile's <see cref="TlsProfileSettings.ApplicationProtocols"/> always wins, also after an SNI switch).
    /// For hosts that know what they speak, such as Kestrel (<c>h2</c>, <c>http/1.1</c>), over profiles that say
    /// nothing. As with a profile's list, a client offering ALPN but none of these is refused with
    /// <c>no_application_protocol</c>. Call before the first bytes are received; throws
    /// <see cref="InvalidOperationException"/> on a client connection or once the handshake began, and
    /// <see cref="ArgumentException"/> for a protocol that is not 1..255 bytes.
    /// </summary>
    public void SetFallbackApplicationProtocols(IReadOnlyList<System.Net.Security.SslApplicationProtocol> protocols)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        byte[]? wire = protocols.Count == 0 ? null : FallbackWireList(protocols);
        lock (_lock)
        {
            if (_initialProfile.Role != TlsRole.Server)
            {
                throw new InvalidOperationException("Fallback ALPN protocols are for server connections; a client's come from its profile.");
            }

            if (_engine is not null)
            {
                throw new InvalidOperationException("The handshake has begun: set the fallback ALPN protocols before the first bytes are received.");
            }

            _fallbackProtocols = wire;
        }
    }

    /// <summary>
    /// <paramref name="protocols"/> in wire format, the array shared with the previous call when its protocols were
    /// the same: a host (a Kestrel endpoint) passes one list for every connection it accepts, so this costs no
    /// allocation per connection. The shared array is never written after it is made.
    /// </summary>
    private static byte[] FallbackWireList(IReadOnlyList<System.Net.Security.SslApplicationProtocol> protocols)
    {
        byte[]? last = Volatile.Read(ref s_lastFallbackWire);
        if (last is not null && ApplicationProtocolNegotiation.IsWireListOf(last, protocols))
        {
            return last;
        }

        byte[] wire = ApplicationProtocolNegotiation.ToWireList(protocols, nameof(protocols));
        Volatile.Write(ref s_lastFallbackWire, wire);
        return wire;
    }

    /// <summary>Client: writes the ClientHello to <paramref name="output"/>. Server: nothing to do. Idempotent.</summary>
    public TlsResult Start(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_lock)
        {
            if (_state != TlsConnectionState.New)
            {
                return new TlsResult(StatusForState());
            }

            // Only a client is New, and a client's engine is made with it.
            using var lease = new HandleLease(_engine!.Handle);
            ErrorQueue.Clear();
            return StartHandshake(output);
        }
    }

    /// <summary>The unsafe half (tests and diagnostics); a server connection's is made here if no bytes came yet.</summary>
    internal SslEngine Engine
    {
        get
        {
            lock (_lock)
            {
                if (_engine is null)
                {
                    _engine = CreateEngine();
                    ReleasePendingContext();
                }

                return _engine;
            }
        }
    }

    /// <summary>Whether the <c>SSL</c> exists yet (a server connection makes it on its first accepted bytes).</summary>
    internal bool HasEngine
    {
        get
        {
            lock (_lock)
            {
                return _engine is not null;
            }
        }
    }

    /// <summary>
    /// Feeds ciphertext received from the peer: advances the handshake, then decrypts every complete record into
    /// <paramref name="plaintext"/>. Handshake messages, alerts and queued plaintext go to <paramref name="output"/>.
    /// Partial records are kept inside OpenSSL, so any split of the byte stream works. Garbage never throws: it
    /// fails the connection (<see cref="TlsStatus.Failed"/>) and <see cref="Failure"/> says why.
    /// </summary>
    public TlsResult Receive(ReadOnlySpan<byte> ciphertext, IBufferWriter<byte> plaintext, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(output);
        var sink = new WriterSink(plaintext);
        return ReceiveCore(ciphertext, ref sink, output, out _);
    }

    /// <summary>
    /// As <see cref="Receive(ReadOnlySpan{byte}, IBufferWriter{byte}, IBufferWriter{byte})"/>, decrypting straight into
    /// <paramref name="plaintext"/> and stopping when it is full. OpenSSL keeps the rest of a record it already
    /// decrypted, and ciphertext after <paramref name="bytesConsumed"/> was not read: pass it again (or an empty span
    /// when all was consumed) to get the rest.
    /// </summary>
    public TlsResult Receive(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext, IBufferWriter<byte> output, out int bytesConsumed, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(output);
        var sink = new SpanSink(plaintext);
        TlsResult result = ReceiveCore(ciphertext, ref sink, output, out bytesConsumed);
        bytesWritten = sink.Written;
        return result;
    }

    /// <summary>
    /// As <see cref="Receive(ReadOnlySpan{byte}, IBufferWriter{byte}, IBufferWriter{byte})"/>, for ciphertext in
    /// several segments (a <c>PipeReader</c>'s buffer): each segment is fed to OpenSSL where it lies, without being
    /// gathered first, and records may straddle segments. All of <paramref name="ciphertext"/> is consumed unless the
    /// result is <see cref="TlsStatus.PeerClosed"/>, <see cref="TlsStatus.Closed"/> or <see cref="TlsStatus.Failed"/>
    /// (what follows a close_notify or a bad record is not read). Plaintext is decrypted straight into
    /// <paramref name="plaintext"/>, asking it for at least <see cref="SequencePlaintextRoom"/> bytes at a time (a
    /// record larger than the span handed out is taken in pieces), so a pipe's small segments are filled densely.
    /// </summary>
    public TlsResult Receive(in ReadOnlySequence<byte> ciphertext, IBufferWriter<byte> plaintext, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(output);
        var sink = new WriterSink(plaintext, SequencePlaintextRoom);
        if (ciphertext.IsSingleSegment)
        {
            return ReceiveCore(ciphertext.FirstSpan, ref sink, output, out _);
        }

        TlsResult? result = null;
        bool completed = false;
        foreach (ReadOnlyMemory<byte> segment in ciphertext)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            result = ReceiveCore(segment.Span, ref sink, output, out _);
            completed |= result.Value.HandshakeCompleted;
            if (result.Value.Status != TlsStatus.Ok)
            {
                break;
            }
        }

        // Only empty segments: answer as for an empty span (the state's status).
        return result is { } last ? last with { HandshakeCompleted = completed } : ReceiveCore(ReadOnlySpan<byte>.Empty, ref sink, output, out _);
    }

    private TlsResult ReceiveCore<TSink>(ReadOnlySpan<byte> ciphertext, ref TSink sink, IBufferWriter<byte> output, out int consumed)
        where TSink : IPlaintextSink, allows ref struct
    {
        TlsResult result;
        bool wasHandshaking;
        lock (_lock)
        {
            wasHandshaking = !_wasEstablished;
            long sentBefore = _engine?.BytesWritten ?? 0;
            consumed = 0;
            result = _observer.AllowIo(out long threshold) ? ReceiveLocked(ciphertext, ref sink, output, out consumed) : FailLowMemory(threshold);
            _received.Advance(ciphertext[..consumed]);
            _observer.OnActivity(consumed, (_engine?.BytesWritten ?? 0) - sentBefore);
        }

        // Notify outside the lock: handlers may call back into this connection from any thread.
        if (result.HandshakeCompleted)
        {
            _observer.OnHandshakeCompleted(this);
        }
        else if (wasHandshaking && result.Status == TlsStatus.Failed)
        {
            _observer.OnHandshakeFailed(this, Failure!);
        }

        return result;
    }

    private TlsResult ReceiveLocked<TSink>(ReadOnlySpan<byte> ciphertext, ref TSink sink, IBufferWriter<byte> output, out int consumed)
        where TSink : IPlaintextSink, allows ref struct
    {
        consumed = 0;
        if (_state is TlsConnectionState.Closed or TlsConnectionState.Failed or TlsConnectionState.PeerClosed)
        {
            return new TlsResult(StatusForState());
        }

        // No HandleLease on the hot paths: every operation and Dispose (the only place that frees the SSL) hold _lock,
        // so the handle cannot be released under a running operation.
        ErrorQueue.Clear();
        bool completed = false;
        if (_engine is null)
        {
            if (ciphertext.IsEmpty)
            {
                return new TlsResult(TlsStatus.Ok);
            }

            TlsResult? gated = PassGate(ciphertext, ref consumed, output);
            if (gated is not null)
            {
                return gated.Value;
            }
        }

        if (_serverNameChoice is { Waiting: true })
        {
            // The handshake is suspended on the selection callback: keep what comes meanwhile, feed it on resumption.
            return Hold(ciphertext, ref consumed);
        }

        if (_held is not null)
        {
            TlsResult early = FeedHeld(ref sink, output);
            if (early.Status != TlsStatus.Ok || _held is not null)
            {
                return early;
            }

            completed = early.HandshakeCompleted;
        }

        if (_state != TlsConnectionState.Established)
        {
            _state = TlsConnectionState.Handshaking;
            SslStep step = _engine!.Handshake(ciphertext, ref consumed, output);
            if (step == SslStep.WantCallback)
            {
                // libssl took the ClientHello and stopped in its callback; bytes after it wait with the connection.
                return Hold(ciphertext, ref consumed);
            }

            if (step != SslStep.Done)
            {
                return step == SslStep.WantRead ? new TlsResult(TlsStatus.Ok) : FailHandshake(step);
            }

            completed = true;
            if (!OnHandshakeCompleted(output))
            {
                return new TlsResult(TlsStatus.Failed, completed);
            }
        }

        while (true)
        {
            Span<byte> target = sink.GetSpan();
            if (target.IsEmpty)
            {
                return new TlsResult(TlsStatus.Ok, completed);
            }

            SslStep step = _engine!.Read(ciphertext, ref consumed, target, out int read, output);
            if (read > 0)
            {
                sink.Advance(read);
                _carriedApplicationData = true;
            }

            switch (step)
            {
                case SslStep.Done:
                    continue;
                case SslStep.WantRead:
                    return new TlsResult(TlsStatus.Ok, completed);
                case SslStep.PeerClosed:
                    _state = TlsConnectionState.PeerClosed;
                    return new TlsResult(TlsStatus.PeerClosed, completed);
                default:
                    Fail(_engine!.LastError!);
                    return new TlsResult(TlsStatus.Failed, completed);
            }
        }
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="output"/>; before the handshake completes it is queued
    /// instead (<see cref="TlsStatus.Queued"/>, or <see cref="TlsStatus.QueueFull"/> when a cap would be exceeded: never
    /// silently dropped). A client that was not started is started, so the ClientHello is in the output.
    /// </summary>
    public TlsResult Send(ReadOnlySpan<byte> plaintext, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_lock)
        {
            if (!_observer.AllowIo(out long threshold))
            {
                return FailLowMemory(threshold);
            }

            long sentBefore = _engine?.BytesWritten ?? 0;
            TlsResult result = SendLocked(plaintext, output);
            _observer.OnActivity(0, (_engine?.BytesWritten ?? 0) - sentBefore);
            return result;
        }
    }

    private TlsResult SendLocked(ReadOnlySpan<byte> plaintext, IBufferWriter<byte> output)
    {
        switch (_state)
        {
            case TlsConnectionState.Established:
                // Under _lock, like Dispose: no HandleLease needed (see ReceiveLocked).
                ErrorQueue.Clear();
                if (_engine!.Write(plaintext, output) == SslStep.Done)
                {
                    _carriedApplicationData |= !plaintext.IsEmpty;
                    return new TlsResult(TlsStatus.Ok);
                }

                Fail(_engine.LastError!);
                return new TlsResult(TlsStatus.Failed);

            case TlsConnectionState.New:
            case TlsConnectionState.Handshaking:
                if (!_queue.TryAdd(plaintext))
                {
                    return new TlsResult(TlsStatus.QueueFull);
                }

                _carriedApplicationData |= !plaintext.IsEmpty;

                if (_state == TlsConnectionState.New)
                {
                    using var lease = new HandleLease(_engine!.Handle);
                    ErrorQueue.Clear();
                    TlsResult started = StartHandshake(output);
                    if (!started.IsSuccess)
                    {
                        return started;
                    }
                }

                return new TlsResult(TlsStatus.Queued);

            default:
                return new TlsResult(StatusForState());
        }
    }

    /// <summary>
    /// Closes the TLS layer: with <c>send_close_notify</c> on and an established connection, the close_notify alert
    /// goes to <paramref name="output"/> (the peer's reply is not awaited). Queued plaintext is discarded.
    /// </summary>
    public TlsResult Close(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_lock)
        {
            if (_state is TlsConnectionState.Closed)
            {
                return new TlsResult(TlsStatus.Closed);
            }

            _queue.Clear();
            if (_engine is not null && !_engine.Handle.IsClosed)
            {
                using var lease = new HandleLease(_engine.Handle);
                ErrorQueue.Clear();
                if (Profile.Runtime.SendCloseNotify && _state is TlsConnectionState.Established or TlsConnectionState.PeerClosed)
                {
                    _engine.Shutdown(output);
                }
                else if (_wasEstablished)
                {
                    _engine.ShutdownQuietly();
                }
            }

            _state = TlsConnectionState.Closed;
            ReleaseHeld();
        }

        // A selection still running is of no use to a closed connection (outside the lock: its registrations run).
        _serverNameChoice?.Cancel();
        return new TlsResult(TlsStatus.Ok);
    }

    /// <summary>
    /// The session to offer when reconnecting (client), or null when there is none yet. With TLS 1.3 the server sends
    /// tickets after the handshake, so ask after the first <see cref="Receive(ReadOnlySpan{byte}, IBufferWriter{byte}, IBufferWriter{byte})"/> of application data.
    /// </summary>
    public TlsSession? GetSession()
    {
        lock (_lock)
        {
            if (_engine is null || _engine.Handle.IsClosed)
            {
                return null;
            }

            using var lease = new HandleLease(_engine.Handle);
            SafeSslSessionHandle? session = _engine.GetSession();
            return session is null ? null : new TlsSession(session, _serverName, _expectedName);
        }
    }

    /// <summary>Frees the native connection; queued plaintext is discarded. Sends nothing (call <see cref="Close"/> first for close_notify).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _queue.Clear();
            if (_state is TlsConnectionState.Established or TlsConnectionState.PeerClosed && _engine is not null && !_engine.Handle.IsClosed)
            {
                // Closed without Close(): still a clean end of a healthy connection, so keep its session resumable.
                using var lease = new HandleLease(_engine.Handle);
                _engine.ShutdownQuietly();
            }

            if (_state != TlsConnectionState.Failed)
            {
                _state = TlsConnectionState.Closed;
            }

            _engine?.Dispose();
            _pendingContext.Release();
            _gate = null;
            ReleaseHeld();
        }

        // Outside the lock: the cancellation runs the selection callback's registrations, which may call back in.
        _serverNameChoice?.Cancel();
        _observer.OnReleased(this);
    }

    /// <summary>Closes the connection without sending anything (admin kill, idle expiry): later operations report Closed.</summary>
    internal void Abort()
    {
        lock (_lock)
        {
            _queue.Clear();
            ReleaseHeld();
            if (_state != TlsConnectionState.Failed)
            {
                _state = TlsConnectionState.Closed;
            }
        }

        _serverNameChoice?.Cancel();
    }

    private TlsResult FailLowMemory(long thresholdKilobytes)
    {
        Fail(new TlsLowMemoryException(
            $"TLS I/O refused: available memory is below low_mem_threshold2 ({thresholdKilobytes} KB)"));
        return new TlsResult(TlsStatus.Failed);
    }

    private TlsResult StartHandshake(IBufferWriter<byte> output)
    {
        _state = TlsConnectionState.Handshaking;
        int consumed = 0;
        SslStep step = _engine!.Handshake(ReadOnlySpan<byte>.Empty, ref consumed, output);
        return step switch
        {
            SslStep.WantRead => new TlsResult(TlsStatus.Ok),
            SslStep.Done => OnHandshakeCompleted(output) ? new TlsResult(TlsStatus.Ok, true) : new TlsResult(TlsStatus.Failed, true),
            _ => FailHandshake(step),
        };
    }

    private bool OnHandshakeCompleted(IBufferWriter<byte> output)
    {
        _state = TlsConnectionState.Established;
        _wasEstablished = true;
        if (_queue.Count == 0)
        {
            return true;
        }

        bool flushed = _queue.Drain((Engine: _engine!, Output: output), static (s, block) => s.Engine.Write(block.Span, s.Output) == SslStep.Done);
        if (!flushed)
        {
            Fail(_engine!.LastError!);
        }

        return flushed;
    }

    private TlsResult FailHandshake(SslStep step)
    {
        if (step == SslStep.PeerClosed)
        {
            Fail(new TlsPeerClosedException("TLS handshake failed: the peer closed the connection during the handshake"));
            return new TlsResult(TlsStatus.Failed);
        }

        // A failed callback (the SNI selector, the certificate validation callback) is in LastError already: the
        // engine asks NativeCallback after each step, and that exception is the failure.
        TlsException error = _engine!.LastError!;
        if (_serverNameChoice?.Refusal is { } refusal && error is not TlsCallbackException)
        {
            string name = refusal.ServerName is null ? "a ClientHello without a server name" : $"server name '{refusal.ServerName}'";
            Fail(new TlsClientHelloRejectedException($"TLS handshake refused: the server profile selection callback refused {name}: {refusal.Reason}", error));
            return new TlsResult(TlsStatus.Failed);
        }

        long verify = _engine.VerifyResult;
        if (verify != TlsConnectionInfo.VerifyOk && error is not TlsCallbackException)
        {
            error = new OpenSslException(
                $"TLS handshake failed: peer certificate verification failed: {_engine.DescribeVerifyFailure(verify)}",
                error is OpenSslException openSsl ? openSsl.Errors : []);
        }

        Fail(error);
        return new TlsResult(TlsStatus.Failed);
    }

    private void Fail(TlsException error)
    {
        Failure = error;
        _state = TlsConnectionState.Failed;
        _queue.Clear();
    }

    private TlsStatus StatusForState() => _state switch
    {
        TlsConnectionState.Failed => TlsStatus.Failed,
        TlsConnectionState.PeerClosed => TlsStatus.PeerClosed,
        TlsConnectionState.Closed => TlsStatus.Closed,
        _ => TlsStatus.Ok,
    };

    private TlsConnectionInfo ReadInfo() => TlsConnectionInfo.FromFacts(_engine!.ReadFacts(_serverName, Role == TlsRole.Server));

    /// <summary>
    /// A server connection's first bytes, before its SSL exists: null when the gate accepted them, the SSL was made and
    /// the bytes kept from earlier calls were handed to it (the caller then feeds <paramref name="ciphertext"/> as
    /// usual); otherwise the result to return: more bytes needed (all consumed and kept) or the connection failed.
    /// </summary>
    private TlsResult? PassGate(ReadOnlySpan<byte> ciphertext, ref int consumed, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> kept = _gate is null ? [] : _gate.Kept;
        switch (ClientHelloGate.Inspect(kept, ciphertext, _initialProfile.Tuning.MaxClientHelloBytes, out string? problem))
        {
            case ClientHelloGate.Verdict.NeedMore:
                (_gate ??= new ClientHelloGate()).Keep(ciphertext);
                consumed = ciphertext.Length;
                return new TlsResult(TlsStatus.Ok);
            case ClientHelloGate.Verdict.Refused:
                _gate = null;
                ReleasePendingContext();
                Fail(new TlsClientHelloRejectedException(problem!));
                return new TlsResult(TlsStatus.Failed);
        }

        try
        {
            _engine = CreateEngine();
        }
        catch (TlsException e)
        {
            ReleasePendingContext();
            Fail(e);
            return new TlsResult(TlsStatus.Failed);
        }

        ReleasePendingContext();
        ClientHelloGate? gate = _gate;
        _gate = null;
        if (gate is null)
        {
            return null;
        }

        // Fewer bytes than one record header and a byte of it: OpenSSL takes them all and asks for more.
        ReadOnlySpan<byte> prefix = gate.Kept;
        int fed = 0;
        SslStep step = _engine.Handshake(prefix, ref fed, output);
        if (step != SslStep.WantRead)
        {
            return FailHandshake(step);
        }

        if (fed != prefix.Length)
        {
            Fail(new TlsException($"TLS handshake failed: OpenSSL left {prefix.Length - fed} of the first {prefix.Length} bytes unread"));
            return new TlsResult(TlsStatus.Failed);
        }

        return null;
    }

    /// <summary>
    /// Keeps the unconsumed rest of <paramref name="ciphertext"/> (all of it counts as consumed) while the handshake
    /// waits for a callback, up to the ClientHello bound: a peer cannot make a suspended connection hold more.
    /// </summary>
    private TlsResult Hold(ReadOnlySpan<byte> ciphertext, ref int consumed)
    {
        ReadOnlySpan<byte> rest = ciphertext[consumed..];
        consumed = ciphertext.Length;
        if (rest.IsEmpty)
        {
            return new TlsResult(TlsStatus.WantsCallback);
        }

        int limit = Math.Max(_initialProfile.Tuning.MaxClientHelloBytes, ClientHelloGate.MaxRecordLength);
        if (_heldLength + rest.Length > limit)
        {
            ReleaseHeld();
            Fail(new TlsException($"TLS handshake failed: the client sent more than {limit} bytes while the handshake waited for the profile selection callback"));
            return new TlsResult(TlsStatus.Failed);
        }

        if (_held is null || _held.Length < _heldLength + rest.Length)
        {
            byte[] larger = new byte[Math.Max(_heldLength + rest.Length, 256)];
            _held?.AsSpan(0, _heldLength).CopyTo(larger);
            _held = larger;
        }

        rest.CopyTo(_held.AsSpan(_heldLength));
        _heldLength += rest.Length;
        return new TlsResult(TlsStatus.WantsCallback);
    }

    /// <summary>
    /// Feeds the ciphertext held during a suspension before anything newer. The caller goes on with the new bytes only
    /// when the result is <see cref="TlsStatus.Ok"/> and nothing stayed held (a full plaintext span keeps the rest first in line).
    /// </summary>
    private TlsResult FeedHeld<TSink>(ref TSink sink, IBufferWriter<byte> output)
        where TSink : IPlaintextSink, allows ref struct
    {
        byte[] held = _held!;
        int length = _heldLength;
        ReleaseHeld();
        TlsResult result = ReceiveLocked(held.AsSpan(0, length), ref sink, output, out int fed);
        if (fed < length && _held is null && result.Status != TlsStatus.Failed)
        {
            _held = held.AsSpan(fed, length - fed).ToArray();
            _heldLength = _held.Length;
        }

        return result;
    }

    private void ReleaseHeld()
    {
        _held = null;
        _heldLength = 0;
    }

    private void ReleasePendingContext()
    {
        _pendingContext.Release();
    }

    private SslEngine CreateEngine() => SslEngine.Create(
        _engineOptions,
        _pendingContext.Context ?? _initialProfile.Context,
        _initialProfile.Role == TlsRole.Server,
        _serverName,
        _resumeSession,
        _serverNameChoice is null ? null : new ServerNameSwitch.State(_serverNameChoice),
        _expectedName,
        _validator,
        contextHeld: _pendingContext.Context is not null,
        applicationProtocols: _fallbackProtocols);
}
