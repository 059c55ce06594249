using System.Buffers;
using OpenSslTls.Connections;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// A client and a server connection wired back to back in memory: <see cref="Pump"/> moves each side's output to the
/// other's input until both are quiet. Plaintext each side received accumulates in <see cref="ServerReceived"/> /
/// <see cref="ClientReceived"/>.
/// </summary>
public sealed class TlsPair : IDisposable
{
    private readonly ArrayBufferWriter<byte> _toServer = new();
    private readonly ArrayBufferWriter<byte> _toClient = new();

    public TlsPair(TlsProfile serverProfile, TlsProfile clientProfile, string? serverName = null, TlsSession? resume = null, TlsServerNameSelector? selector = null)
    {
        Server = serverProfile.CreateConnection(serverNameSelector: selector);
        Client = clientProfile.CreateConnection(serverName, resume);
    }

    /// <summary>Wires two existing connections (e.g. made by a <see cref="TlsModule"/>).</summary>
    public TlsPair(TlsConnection server, TlsConnection client)
    {
        Server = server;
        Client = client;
    }

    public TlsConnection Server { get; }

    public TlsConnection Client { get; }

    public ArrayBufferWriter<byte> ServerReceived { get; } = new();

    public ArrayBufferWriter<byte> ClientReceived { get; } = new();

    public TlsResult LastServerResult { get; private set; }

    public TlsResult LastClientResult { get; private set; }

    /// <summary>Every ciphertext chunk the client sent, in order (for record inspection).</summary>
    public List<byte[]> ClientFlights { get; } = [];

    /// <summary>Every ciphertext chunk the server sent, in order.</summary>
    public List<byte[]> ServerFlights { get; } = [];

    /// <summary>Starts the client and pumps until the handshake settles; true when both sides are established.</summary>
    public bool Handshake()
    {
        LastClientResult = Client.Start(_toServer);
        Pump();
        return Client.State == TlsConnectionState.Established && Server.State == TlsConnectionState.Established;
    }

    public void ClientSend(ReadOnlySpan<byte> data) => LastClientResult = Client.Send(data, _toServer);

    public void ServerSend(ReadOnlySpan<byte> data) => LastServerResult = Server.Send(data, _toClient);

    /// <summary>Moves bytes both ways until neither side produces output (bounded).</summary>
    public void Pump(int chunkSize = int.MaxValue)
    {
        for (int round = 0; round < 100 && (_toServer.WrittenCount > 0 || _toClient.WrittenCount > 0); round++)
        {
            if (_toServer.WrittenCount > 0)
            {
                byte[] data = _toServer.WrittenSpan.ToArray();
                _toServer.ResetWrittenCount();
                ClientFlights.Add(data);
                LastServerResult = Feed(Server, data, ServerReceived, _toClient, chunkSize, LastServerResult);
            }

            if (_toClient.WrittenCount > 0)
            {
                byte[] data = _toClient.WrittenSpan.ToArray();
                _toClient.ResetWrittenCount();
                ServerFlights.Add(data);
                LastClientResult = Feed(Client, data, ClientReceived, _toServer, chunkSize, LastClientResult);
            }
        }
    }

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
    }

    private static TlsResult Feed(TlsConnection connection, byte[] data, IBufferWriter<byte> plaintext, IBufferWriter<byte> output, int chunkSize, TlsResult last)
    {
        TlsResult result = last;
        for (int offset = 0; offset < data.Length; offset += chunkSize)
        {
            int length = Math.Min(chunkSize, data.Length - offset);
            result = connection.Receive(data.AsSpan(offset, length), plaintext, output);
            if (!result.IsSuccess)
            {
                break;
            }
        }

        return result;
    }
}
