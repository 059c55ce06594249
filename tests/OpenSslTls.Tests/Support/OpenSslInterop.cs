using System.Net.Sockets;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Support;

/// <summary>Wires this library's connections to real <c>openssl s_client</c>/<c>s_server</c> processes over loopback.</summary>
public static class OpenSslInterop
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Listens on 127.0.0.1, starts <c>s_client</c> with <paramref name="clientArgs"/> against it, and serves the one connection with <paramref name="server"/>.</summary>
    public static (SocketTlsPeer Peer, OpenSslProcess Client) ServeOne(TlsProfile server, params string[] clientArgs)
    {
        (Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        {
            OpenSslProcess client = OpenSslProcess.StartClient(port, clientArgs);
            try
            {
                Socket socket = LoopbackTcp.Accept(listener, Timeout);
                return (new SocketTlsPeer(socket, server.CreateConnection()), client);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
    }

    /// <summary>Connects a client connection of <paramref name="client"/> to a running <c>s_server</c>.</summary>
    public static SocketTlsPeer Connect(OpenSslProcess server, TlsProfile client, string? serverName = null, TlsSession? resume = null)
    {
        Socket socket = LoopbackTcp.Connect(server.Port, Timeout);
        return new SocketTlsPeer(socket, client.CreateConnection(serverName, resume));
    }
}
