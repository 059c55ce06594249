using System.Net;
using OpenSslTls.Errors;

namespace OpenSslTls.Connections;

/// <summary>The observer of a connection no module watches: allows all I/O, records nothing.</summary>
internal sealed class NoConnectionObserver : IConnectionObserver
{
    private NoConnectionObserver()
    {
    }

    internal static NoConnectionObserver Instance { get; } = new();

    public long Id => 0;

    public IPEndPoint? LocalEndPoint => null;

    public IPEndPoint? RemoteEndPoint => null;

    public bool AllowIo(out long thresholdKilobytes)
    {
        thresholdKilobytes = 0;
        return true;
    }

    public void OnActivity(long received, long sent)
    {
    }

    public void OnHandshakeCompleted(TlsConnection connection)
    {
    }

    public void OnHandshakeFailed(TlsConnection connection, TlsException error)
    {
    }

    public void OnReleased(TlsConnection connection)
    {
    }
}
