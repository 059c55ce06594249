using OpenSslTls.Connections;
using OpenSslTls.Errors;

namespace OpenSslTls.Module;

/// <summary>A connection event: outbound established (<c>tls:connection-out</c>), handshake failed, expired or killed.</summary>
public sealed class TlsConnectionEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public TlsConnectionEventArgs(TlsConnection connection, string eventName, TlsException? error = null)
    {
        Connection = connection;
        EventName = eventName;
        Error = error;
    }

    /// <summary>The connection concerned.</summary>
    public TlsConnection Connection { get; }

    /// <summary>Kamailio-style event name, e.g. <c>tls:connection-out</c>, <c>tls:handshake-failed</c>, <c>tls:expired</c>, <c>tls:killed</c>.</summary>
    public string EventName { get; }

    /// <summary>Why a handshake failed; null for other events.</summary>
    public TlsException? Error { get; }
}
