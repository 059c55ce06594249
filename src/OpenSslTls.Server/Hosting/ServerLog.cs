using System.Net;
using Microsoft.Extensions.Logging;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>The server's log messages, source-generated so a busy server formats nothing for disabled levels.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "listening for SIP over TLS on {Endpoint}")]
    public static partial void Listening(ILogger logger, IPEndPoint endpoint);

    [LoggerMessage(2, LogLevel.Debug, "connection {ConnectionId} accepted from {Remote}")]
    public static partial void Accepted(ILogger logger, long connectionId, EndPoint? remote);

    [LoggerMessage(3, LogLevel.Information, "connection {ConnectionId} from {Remote}: {Facts}")]
    public static partial void Established(ILogger logger, long connectionId, EndPoint? remote, string facts);

    [LoggerMessage(4, LogLevel.Information, "connection {ConnectionId} from {Remote}: no TLS handshake within {Seconds} s, closed")]
    public static partial void HandshakeTimedOut(ILogger logger, long connectionId, EndPoint? remote, double seconds);

    [LoggerMessage(5, LogLevel.Information, "connection {ConnectionId} from {Remote}: idle for {Seconds} s, closed")]
    public static partial void IdleTimedOut(ILogger logger, long connectionId, EndPoint? remote, double seconds);

    [LoggerMessage(17, LogLevel.Information, "connection {ConnectionId} from {Remote}: a SIP message was not complete {Seconds} s after its first bytes, closed")]
    public static partial void MessageReadTimedOut(ILogger logger, long connectionId, EndPoint? remote, double seconds);

    [LoggerMessage(6, LogLevel.Information, "connection {ConnectionId} from {Remote}: TLS failed: {Reason}")]
    public static partial void TlsFailed(ILogger logger, long connectionId, EndPoint? remote, string reason);

    [LoggerMessage(7, LogLevel.Warning, "connection {ConnectionId} from {Remote}: SIP stream unusable ({Error}), closed")]
    public static partial void FramingFailed(ILogger logger, long connectionId, EndPoint? remote, string error);

    [LoggerMessage(8, LogLevel.Debug, "connection {ConnectionId} from {Remote} closed: {Reason}")]
    public static partial void Closed(ILogger logger, long connectionId, EndPoint? remote, string reason);

    [LoggerMessage(9, LogLevel.Warning, "refusing new connections: already {Max} connections ({Limit}; {Refused} refused since the last such line, logged at most every {Seconds} s)")]
    public static partial void TooManyConnections(ILogger logger, int max, string limit, long refused, double seconds);

    [LoggerMessage(23, LogLevel.Warning, "accepting new connections again: {Open} open, below the cap of {Max} ({Refused} refused while at it)")]
    public static partial void BelowCapAgain(ILogger logger, int open, int max, long refused);

    [LoggerMessage(21, LogLevel.Warning, "connections capped at {Cap} by the open-file limit (soft RLIMIT_NOFILE {Soft}, {Open} open at start, {Reserve} kept free for the runtime; MaxConnections {Max}): raise ulimit -n for more")]
    public static partial void CappedByDescriptors(ILogger logger, int cap, long soft, int open, int reserve, int max);

    [LoggerMessage(22, LogLevel.Information, "on {Endpoint}: {Max} handshakes in progress (MaxHandshakesInProgress), new connections wait, accepted, until one completes ({Pauses} such connection(s) since the last such line, logged at most every {Seconds} s)")]
    public static partial void HandshakesAtBound(ILogger logger, IPEndPoint endpoint, int max, long pauses, double seconds);

    [LoggerMessage(18, LogLevel.Warning, "refusing connections from {Address}: already {Max} from that address (MaxConnectionsPerAddress; {Refused} refused since the last such line)")]
    public static partial void TooManyFromAddress(ILogger logger, IPAddress address, int max, long refused);

    [LoggerMessage(10, LogLevel.Error, "accepting on {Endpoint} failed")]
    public static partial void AcceptFailed(ILogger logger, IPEndPoint endpoint, Exception exception);

    [LoggerMessage(19, LogLevel.Error, "out of file descriptors (EMFILE/ENFILE) accepting on {Endpoint}: refusing new connections ({Refused} since the last such line), still serving the {Open} open; logged at most every {Seconds} s")]
    public static partial void OutOfDescriptors(ILogger logger, IPEndPoint endpoint, long refused, int open, double seconds);

    [LoggerMessage(20, LogLevel.Warning, "accepting on {Endpoint} again: file descriptors are available ({Refused} connection(s) refused while they were not)")]
    public static partial void DescriptorsAvailableAgain(ILogger logger, IPEndPoint endpoint, long refused);

    [LoggerMessage(11, LogLevel.Information, "stopping: closing {Count} connection(s)")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(12, LogLevel.Information, "stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(13, LogLevel.Error, "connection {ConnectionId} from {Remote} failed unexpectedly")]
    public static partial void ConnectionCrashed(ILogger logger, long connectionId, EndPoint? remote, Exception exception);

    [LoggerMessage(14, LogLevel.Debug, "connection {ConnectionId} from {Remote}: {Summary}")]
    public static partial void Exchanged(ILogger logger, long connectionId, EndPoint? remote, string summary);

    [LoggerMessage(15, LogLevel.Warning, "{Count} connection(s) did not close within {Seconds} s of the stop request")]
    public static partial void ShutdownTimedOut(ILogger logger, int count, double seconds);

    [LoggerMessage(16, LogLevel.Warning, "connection {ConnectionId} from {Remote} refused: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, long connectionId, EndPoint? remote, string reason);
}
