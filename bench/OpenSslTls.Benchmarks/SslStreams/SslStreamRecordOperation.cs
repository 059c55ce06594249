using OpenSslTls.Benchmarks.Infrastructure;

namespace OpenSslTls.Benchmarks.SslStreams;

/// <summary>One message through an established SslStream pair: the client writes it, the server reads all of it (both synchronous).</summary>
internal sealed class SslStreamRecordOperation : IBenchOperation
{
    private readonly SslStreamSetup _setup;
    private readonly SslStreamPair _pair;
    private readonly byte[] _message;
    private readonly byte[] _received = new byte[16 * 1024];

    public SslStreamRecordOperation(BenchPki pki, Scenario scenario)
    {
        _setup = new SslStreamSetup(pki, scenario);
        (InMemoryDuplexStream client, InMemoryDuplexStream server) = InMemoryDuplexStream.CreatePair();
        _pair = SslStreamPair.Connect(_setup, client, server);
        _message = Message.Create(scenario.Size);
        _pair.Client.Write(_message);
        int total = 0;
        while (total < _message.Length)
        {
            total += _pair.Server.Read(_received.AsSpan(total));
        }

        if (!_received.AsSpan(0, total).SequenceEqual(_message))
        {
            throw new InvalidOperationException("the message did not arrive intact");
        }

        Description = $"{_pair.Client.SslProtocol} {_pair.Client.NegotiatedCipherSuite}";
    }

    public string Description { get; }

    public void Run()
    {
        _pair.Client.Write(_message);
        int total = 0;
        while (total < _message.Length)
        {
            total += _pair.Server.Read(_received);
        }
    }

    public void Verify()
    {
        Run();
    }

    public void Dispose()
    {
        _pair.Dispose();
        _setup.Dispose();
    }
}
