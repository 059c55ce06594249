using System.Buffers;
using OpenSslTls.Connections;

namespace OpenSslTls.Benchmarks.OpenSsl;

/// <summary>
/// Moves ciphertext between a client and a server connection in memory, in one thread, through four reused buffers
/// (so the pump itself allocates nothing once the buffers have grown).
/// </summary>
internal sealed class OpenSslTlsPump
{
    private readonly ArrayBufferWriter<byte> _toServer = new(64 * 1024);
    private readonly ArrayBufferWriter<byte> _toClient = new(64 * 1024);

    public ArrayBufferWriter<byte> ServerPlaintext { get; } = new(64 * 1024);

    public ArrayBufferWriter<byte> ClientPlaintext { get; } = new(64 * 1024);

    /// <summary>Ciphertext the client sends goes here before <see cref="DeliverToServer"/>.</summary>
    public ArrayBufferWriter<byte> ToServer => _toServer;

    /// <summary>Ciphertext bytes the server sent during the last <see cref="Handshake"/>.</summary>
    public int ServerToClientBytes { get; private set; }

    public void Handshake(TlsConnection client, TlsConnection server)
    {
        ServerToClientBytes = 0;
        Check(client.Start(_toServer), client);
        Pump(client, server);
        if (client.State != TlsConnectionState.Established || server.State != TlsConnectionState.Established)
        {
            throw new InvalidOperationException($"handshake did not complete: client {client.State} {client.Failure?.Message}; server {server.State} {server.Failure?.Message}");
        }
    }

    /// <summary>Feeds what the client sent to the server (its replies, if any, stay queued for the client).</summary>
    public void DeliverToServer(TlsConnection server)
    {
        Check(server.Receive(_toServer.WrittenSpan, ServerPlaintext, _toClient), server);
        _toServer.ResetWrittenCount();
    }

    public void Reset()
    {
        _toServer.ResetWrittenCount();
        _toClient.ResetWrittenCount();
        ServerPlaintext.ResetWrittenCount();
        ClientPlaintext.ResetWrittenCount();
    }

    private void Pump(TlsConnection client, TlsConnection server)
    {
        for (int round = 0; round < 100 && (_toServer.WrittenCount > 0 || _toClient.WrittenCount > 0); round++)
        {
            if (_toServer.WrittenCount > 0)
            {
                DeliverToServer(server);
            }

            if (_toClient.WrittenCount > 0)
            {
                ServerToClientBytes += _toClient.WrittenCount;
                Check(client.Receive(_toClient.WrittenSpan, ClientPlaintext, _toServer), client);
                _toClient.ResetWrittenCount();
            }
        }
    }

    private static void Check(TlsResult result, TlsConnection connection)
    {
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"{connection.Role} failed: {result.Status} {connection.Failure?.Message}");
        }
    }
}
