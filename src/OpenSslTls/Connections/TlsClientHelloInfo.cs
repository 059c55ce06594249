using System.Net;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>What a <see cref="TlsServerProfileSelectionCallback"/> knows of the client when its ClientHello arrives.</summary>
public sealed class TlsClientHelloInfo
{
    internal TlsClientHelloInfo(string? serverName, TlsProfile profile, IPEndPoint? localEndPoint, IPEndPoint? remoteEndPoint)
    {
        ServerName = serverName;
        Profile = profile;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>The host name the client asked for (SNI), or null when its ClientHello names none.</summary>
    public string? ServerName { get; }

    /// <summary>The profile the connection was created from (for a profile set: the one chosen by local address).</summary>
    public TlsProfile Profile { get; }

    /// <summary>The local endpoint the host reported when the connection was created, if any.</summary>
    public IPEndPoint? LocalEndPoint { get; }

    /// <summary>The client's endpoint the host reported when the connection was created, if any.</summary>
    public IPEndPoint? RemoteEndPoint { get; }
}
