using Microsoft.Extensions.Logging;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>Log messages of the <c>serve</c> command itself (start-up and stop), source-generated like the server's.</summary>
internal static partial class CommandLog
{
    [LoggerMessage(101, LogLevel.Information, "data directory: {Directory}")]
    public static partial void DataDirectory(ILogger logger, string directory);

    [LoggerMessage(102, LogLevel.Warning, "{Warning}")]
    public static partial void DataDirectoryWarning(ILogger logger, string warning);

    [LoggerMessage(103, LogLevel.Information, "created a self-signed certificate for localhost (valid {Days} days): certificate {Certificate}, key {PrivateKey}")]
    public static partial void CreatedSelfSigned(ILogger logger, int days, string certificate, string privateKey);

    [LoggerMessage(104, LogLevel.Information, "using certificate {Certificate}, key {PrivateKey}")]
    public static partial void UsingCertificate(ILogger logger, string certificate, string privateKey);

    [LoggerMessage(105, LogLevel.Information, "client certificates: verify_client={Mode}, ca_list={CaList}, send_close_notify={CloseNotify}")]
    public static partial void TlsPolicy(ILogger logger, string mode, string caList, string closeNotify);

    [LoggerMessage(106, LogLevel.Error, "cannot start: {Reason}")]
    public static partial void CannotStart(ILogger logger, string reason);

    [LoggerMessage(107, LogLevel.Information, "running on OpenSSL {Version}; stop with Ctrl-C or SIGTERM")]
    public static partial void Running(ILogger logger, string version);

    [LoggerMessage(108, LogLevel.Information, "tls configuration: {Source}; {Profiles} profile(s)")]
    public static partial void Configuration(ILogger logger, string source, int profiles);

    [LoggerMessage(109, LogLevel.Information, "{Event}: connection {ConnectionId} with {Remote} ({Profile})")]
    public static partial void TlsEvent(ILogger logger, string @event, long connectionId, string? remote, string profile);

    [LoggerMessage(110, LogLevel.Warning, "TLS handshake failed: connection {ConnectionId} from {Remote}: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, long connectionId, string? remote, string reason);

    [LoggerMessage(111, LogLevel.Information, "control socket: {Path}")]
    public static partial void ControlSocket(ILogger logger, string path);

    [LoggerMessage(112, LogLevel.Warning, "control command failed: {Reason}")]
    public static partial void ControlFailed(ILogger logger, string reason);

    [LoggerMessage(113, LogLevel.Information, "{Line}")]
    public static partial void EventCallback(ILogger logger, string line);

    [LoggerMessage(114, LogLevel.Warning, "control socket: refused a connection from uid {Uid} (pid {Pid}): only root and the server's own uid {OwnUid} may use it")]
    public static partial void ControlRefused(ILogger logger, string uid, string pid, uint ownUid);

    [LoggerMessage(115, LogLevel.Debug, "the failure in full: {Detail}")]
    public static partial void FailureDetail(ILogger logger, string detail);

    [LoggerMessage(116, LogLevel.Information, "OpenSslTls {LibraryVersion} on {OpenSsl} ({LibSsl}); connection I/O: {Io}")]
    public static partial void Library(ILogger logger, string libraryVersion, string openSsl, string libSsl, string io);

    [LoggerMessage(117, LogLevel.Information, "{Mode}")]
    public static partial void SocketCompletions(ILogger logger, string mode);
}
