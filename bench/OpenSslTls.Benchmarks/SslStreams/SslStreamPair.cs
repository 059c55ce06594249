using System.Net.Security;

namespace OpenSslTls.Benchmarks.SslStreams;

/// <summary>A client and a server SslStream over one in-memory transport, handshaken in the calling thread.</summary>
internal sealed class SslStreamPair : IDisposable
{
    private readonly byte[] _readBuffer = new byte[16 * 1024];

    private SslStreamPair(InMemoryDuplexStream clientTransport, InMemoryDuplexStream serverTransport)
    {
        ClientTransport = clientTransport;
        ServerTransport = serverTransport;
        Client = new SslStream(clientTransport, leaveInnerStreamOpen: true);
        Server = new SslStream(serverTransport, leaveInnerStreamOpen: true);
    }

    public InMemoryDuplexStream ClientTransport { get; }

    public InMemoryDuplexStream ServerTransport { get; }

    public SslStream Client { get; }

    public SslStream Server { get; }

    /// <summary>Handshakes a new pair; throws if either side did not complete synchronously.</summary>
    public static SslStreamPair Connect(SslStreamSetup setup, InMemoryDuplexStream clientTransport, InMemoryDuplexStream serverTransport) =>
        Connect(setup.Server, setup.Client, clientTransport, serverTransport);

    public static SslStreamPair Connect(
        SslServerAuthenticationOptions serverOptions,
        SslClientAuthenticationOptions clientOptions,
        InMemoryDuplexStream clientTransport,
        InMemoryDuplexStream serverTransport)
    {
        var pair = new SslStreamPair(clientTransport, serverTransport);
        try
        {
            // The server starts first and pends on its first read; the client's ClientHello completes it inline.
            Task server = pair.Server.AuthenticateAsServerAsync(serverOptions, CancellationToken.None);
            Task client = pair.Client.AuthenticateAsClientAsync(clientOptions, CancellationToken.None);
            if (!server.IsCompleted || !client.IsCompleted)
            {
                throw new InvalidOperationException("the SslStream handshake did not complete in the calling thread");
            }

            server.GetAwaiter().GetResult();
            client.GetAwaiter().GetResult();
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Lets the client process what the server sent after its Finished (TLS 1.3 session tickets, which is how SslStream's
    /// client caches a session), as the OpenSslTls client does in the same pump: a client read takes them, then pends
    /// and is ended by closing the transport.
    /// </summary>
    public void DrainClient()
    {
        ValueTask<int> read = Client.ReadAsync(_readBuffer);
        if (read.IsCompleted)
        {
            throw new InvalidOperationException($"unexpected application data for the client ({read.Result} bytes)");
        }

        ClientTransport.Input.Close();
        try
        {
            read.GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            // SslStream may report the transport's end without close_notify as an error; the tickets were processed.
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
