using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenSslTls.Interop;

namespace OpenSslTls.Profiles;

/// <summary>
/// The key-log destinations of one context, as Kamailio's <c>keylog_mode</c> bits choose them: the log (bit 4, at
/// information level, Kamailio's NOTICE), <c>keylog_file</c> (bit 8), one UDP datagram per line to <c>keylog_peer</c>
/// (bit 16); with bit 1024 only the six labels Kamailio's documentation lists pass. A failed write or send is logged
/// (or written to standard error without a logger) and the line dropped: key logging never breaks a handshake.
/// </summary>
internal sealed partial class KeyLogSink : IKeyLogTarget
{
    // Kamailio's filter list (tls_util.c), compared on the line's label. Kamailio compares the whole line with
    // "LABEL " and so lets nothing through; the documented intent is kept here (README deviations).
    private static readonly string[] FilteredLabels =
    [
        "CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "EXPORTER_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
    ];

    private readonly KeyLogFileShare? _file;
    private readonly Socket? _socket;
    private readonly IPEndPoint? _peer;
    private readonly ILogger? _logger;
    private readonly bool _toLog;
    private readonly bool _filter;
    private int _released;

    private KeyLogSink(KeyLogFileShare? file, Socket? socket, IPEndPoint? peer, ILogger? logger, bool toLog, bool filter)
    {
        _file = file;
        _socket = socket;
        _peer = peer;
        _logger = logger;
        _toLog = toLog;
        _filter = filter;
    }

    /// <summary>Whether <paramref name="tuning"/> sends key-log lines anywhere.</summary>
    internal static bool IsWanted(TlsTuning tuning) =>
        tuning.KeyLogFile is { Length: > 0 } || tuning.KeyLogPeer is not null || tuning.KeyLogToLog;

    /// <summary>
    /// The sink <paramref name="tuning"/> asks for. Throws <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when the file cannot be used, <see cref="SocketException"/> when no
    /// UDP socket can be made.
    /// </summary>
    internal static KeyLogSink Create(TlsTuning tuning, ILogger? logger)
    {
        KeyLogFileShare? file = tuning.KeyLogFile is { Length: > 0 } path ? KeyLogFileShare.Acquire(path, KeyLogFileOpener.Open) : null;
        Socket? socket = null;
        try
        {
            if (tuning.KeyLogPeer is { } peer)
            {
                socket = new Socket(peer.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            }

            return new KeyLogSink(file, socket, tuning.KeyLogPeer, logger, tuning.KeyLogToLog, tuning.KeyLogFilter);
        }
        catch
        {
            socket?.Dispose();
            file?.Release();
            throw;
        }
    }

    /// <summary>Whether <paramref name="line"/> passes Kamailio's filter (bit 1024): its label is one of the six.</summary>
    internal static bool PassesFilter(ReadOnlySpan<byte> line)
    {
        int space = line.IndexOf((byte)' ');
        ReadOnlySpan<byte> label = space < 0 ? line : line[..space];
        foreach (string allowed in FilteredLabels)
        {
            if (label.Length == allowed.Length && Ascii.EqualsIgnoreCase(label, allowed))
            {
                return true;
            }
        }

        return false;
    }

    public void Write(ReadOnlySpan<byte> line)
    {
        if (Volatile.Read(ref _released) != 0 || (_filter && !PassesFilter(line)))
        {
            return;
        }

        if (_toLog && _logger is not null)
        {
            LogKeyLine(_logger, Encoding.ASCII.GetString(line));
        }

        if (_file is not null)
        {
            try
            {
                _file.Append(line);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Report($"keylog_file {_file.Path}", e);
            }
        }

        if (_socket is not null)
        {
            try
            {
                // One datagram per line, without the newline, as Kamailio's udp_send of the line.
                _socket.SendTo(line, SocketFlags.None, _peer!);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Report($"keylog_peer udp:{_peer}", e);
            }
        }
    }

    public void OnExDataReleased()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _socket?.Dispose();
        _file?.Release();
    }

    private void Report(string destination, Exception e)
    {
        if (_logger is not null)
        {
            LogWriteFailed(_logger, destination, e.Message);
        }
        else
        {
            Console.Error.WriteLine($"openssltls: {destination}: key log line dropped: {e.Message}");
        }
    }

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "tlskeylog: {Line}")]
    private static partial void LogKeyLine(ILogger logger, string line);

    [LoggerMessage(EventId = 51, Level = LogLevel.Warning, Message = "{Destination}: key log line dropped: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string destination, string reason);
}
