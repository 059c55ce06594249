using System.Net;
using System.Net.Sockets;
using System.Reflection;
using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Module;

namespace OpenSslTls.Tests.Security;

/// <summary>Helpers of the security review tests: native state of a live connection, s_client against a module.</summary>
internal static class SecurityTestSupport
{
    private static readonly FieldInfo s_engine = typeof(TlsConnection).GetField("_engine", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("TlsConnection._engine not found: update SecurityTestSupport");

    /// <summary>
    /// The <c>SSL</c> object of <paramref name="connection"/>. The security checks read what OpenSSL holds, not what the
    /// managed side believes it configured; the connection must stay alive (and unused by other threads) meanwhile.
    /// </summary>
    internal static SslEngine EngineOf(TlsConnection connection) => (SslEngine)s_engine.GetValue(connection)!;

    /// <summary>Listens on 127.0.0.1, starts <c>s_client</c> with <paramref name="clientArgs"/>, and serves it with a connection the module accepts.</summary>
    internal static (SocketTlsPeer Peer, OpenSslProcess Client) ServeOne(TlsModule module, params string[] clientArgs)
    {
        (Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        {
            OpenSslProcess client = OpenSslProcess.StartClient(port, clientArgs);
            try
            {
                Socket socket = LoopbackTcp.Accept(listener, OpenSslInterop.Timeout);
                TlsConnection connection = module.AcceptConnection((IPEndPoint)socket.LocalEndPoint!, (IPEndPoint)socket.RemoteEndPoint!);
                return (new SocketTlsPeer(socket, connection), client);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
    }

    /// <summary>Serves one s_client run and reports whether our side completed the handshake; with the failure text otherwise.</summary>
    internal static (bool Established, string Detail) TryHandshake(TlsModule module, params string[] clientArgs)
    {
        (SocketTlsPeer peer, OpenSslProcess client) = ServeOne(module, clientArgs);
        using (client)
        using (peer)
        {
            bool established = peer.WaitForHandshake(OpenSslInterop.Timeout);
            if (established)
            {
                // Proof from the other side too: application data crosses (TLS 1.3 clients report success early).
                client.WriteLine("ping");
                established = peer.WaitForText("ping\n", OpenSslInterop.Timeout);
            }

            return (established, peer.Connection.Failure?.Message ?? client.Output);
        }
    }
}
