using System.Net;
using OpenSslTls.Connections;
using OpenSslTls.Errors;

namespace OpenSslTls.Module;

/// <summary>
/// What a <see cref="TlsModule"/> knows about one of its connections: identity, endpoints, generation and activity.
/// It is the connection's observer: the connection calls it around every operation; it never references the host's
/// socket.
/// </summary>
internal sealed class TlsConnectionRecord : IConnectionObserver
{
    private readonly TlsModule _module;
    private long _lastActivity;
    private int _released;
    private int _handshakeEnded;
    private int _handshakeActivityTaken;
    private TlsConnection? _connection;

    internal TlsConnectionRecord(TlsModule module, long id, TlsProfileGeneration generation, IPEndPoint? local, IPEndPoint? remote, long now)
    {
        _module = module;
        Id = id;
        Generation = generation;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        Created = now;
        _lastActivity = now;
    }

    public long Id { get; }

    public IPEndPoint? LocalEndPoint { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    internal TlsProfileGeneration Generation { get; }

    /// <summary>The connection this record watches; set once, right after the connection is created with it.</summary>
    internal TlsConnection Connection
    {
        get => _connection ?? throw new InvalidOperationException("the record's connection is not created yet");
        set => _connection = value;
    }

    internal long Created { get; }

    internal long LastActivity => Interlocked.Read(ref _lastActivity);

    internal bool Killed { get; set; }

    /// <summary>The handshake's span while it runs (<c>TlsModuleHostOptions.HandshakeTracing</c>), else null; taken once by its end.</summary>
    internal System.Diagnostics.Activity? HandshakeActivity { get; set; }

    /// <summary>Takes the handshake span, so exactly one of completion, failure or release ends it.</summary>
    internal System.Diagnostics.Activity? TakeHandshakeActivity()
    {
        System.Diagnostics.Activity? activity = HandshakeActivity;
        return activity is null ? null : Interlocked.CompareExchange(ref _handshakeActivityTaken, 1, 0) == 0 ? activity : null;
    }

    public bool AllowIo(out long thresholdKilobytes)
    {
        if (Killed)
        {
            thresholdKilobytes = 0;
            return true; // state is Closed already; the connection reports it
        }

        return _module.AllowIo(out thresholdKilobytes);
    }

    public void OnActivity(long received, long sent)
    {
        Interlocked.Exchange(ref _lastActivity, _module.Time.GetTimestamp());
        _module.Metrics.RecordBytes(received, sent);
    }

    public void OnHandshakeCompleted(TlsConnection connection) => _module.OnHandshakeCompleted(this, connection);

    public void OnHandshakeFailed(TlsConnection connection, TlsException error) => _module.OnHandshakeFailed(this, connection, error);

    /// <summary>Acts once however many threads dispose the connection: unregisters and releases the generation.</summary>
    public void OnReleased(TlsConnection connection)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _module.Unregister(this);
        Generation.Release();
    }

    /// <summary>
    /// Marks the connection's handshake as ended (completed, failed, or cut short by the release); true only the first
    /// time, so the active-handshakes count goes down once per connection.
    /// </summary>
    internal bool EndHandshake() => Interlocked.Exchange(ref _handshakeEnded, 1) == 0;

    internal TimeSpan Age(long now) => _module.Time.GetElapsedTime(Created, now);

    internal TimeSpan Idle(long now) => _module.Time.GetElapsedTime(LastActivity, now);

    /// <summary>
    /// Seconds until the idle limit closes the connection (0: due now), or -1 when none applies. The limit is
    /// Kamailio's: <c>connection_timeout</c> until application data first passes, <c>tcp_connection_lifetime</c> after;
    /// either counts from the last I/O (handshake bytes included), as Kamailio's TCP core restarts its timer then.
    /// </summary>
    internal long SecondsLeft(long now, Profiles.TlsRuntimeParameters runtime)
    {
        int limit = runtime.IdleLimitSeconds(Connection.CarriedApplicationData);
        if (limit < 0)
        {
            return -1;
        }

        TimeSpan left = TimeSpan.FromSeconds(limit) - Idle(now);
        return left <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(left.TotalSeconds);
    }
}
