using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// Waits until a socket is readable (a zero-byte receive, so a waiting connection holds no buffer) and reports the
/// outcome as a <see cref="SocketError"/> value instead of throwing. An awaited <c>Socket.ReceiveAsync</c> throws a
/// <see cref="SocketException"/> when the peer resets, and .NET renders that exception's stack trace with file and line
/// at the throw (ExceptionDispatchInfo.SetCurrentStackTrace, reading the PDB): measured with <c>openssl s_time</c>, whose
/// every connection ends in a reset, that cost serve more CPU than the handshake. One instance per connection, reused for
/// every wait, one wait at a time; it stands in for the event args the socket would otherwise cache for the awaited call.
/// It takes no cancellation token: the connection stops a pending wait by shutting down the socket's receive side.
/// </summary>
internal sealed class SocketReadiness : SocketAsyncEventArgs, IValueTaskSource<SocketError>
{
    private ManualResetValueTaskSourceCore<SocketError> _core;

    public SocketReadiness()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        SetBuffer(Memory<byte>.Empty);
    }

    /// <summary>Completes when <paramref name="socket"/> has data, an end of stream or an error; the error, or Success.</summary>
    public ValueTask<SocketError> WaitAsync(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _core.Reset();
        return socket.ReceiveAsync(this) ? new ValueTask<SocketError>(this, _core.Version) : new ValueTask<SocketError>(SocketError);
    }

    SocketError IValueTaskSource<SocketError>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketError>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<SocketError>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e) => _core.SetResult(SocketError);
}
