using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using OpenSslTls.Benchmarks.Infrastructure;

namespace OpenSslTls.Benchmarks.SslStreams;

/// <summary>
/// One full or resumed SslStream handshake over the in-memory transport: both streams authenticate in the calling
/// thread, the client processes the server's post-handshake messages, and both are disposed.
/// </summary>
internal sealed class SslStreamHandshakeOperation : IBenchOperation
{
    private readonly SslStreamSetup _setup;
    private readonly InMemoryDuplexStream _clientTransport;
    private readonly InMemoryDuplexStream _serverTransport;
    private readonly int _certificateSize;
    private readonly bool _expectResumed;
    private readonly long _fullHandshakeBytes;

    public SslStreamHandshakeOperation(BenchPki pki, Scenario scenario)
    {
        _setup = new SslStreamSetup(pki, scenario);
        (_clientTransport, _serverTransport) = InMemoryDuplexStream.CreatePair();

        // SslStream does not say whether a session was resumed. A resumed handshake carries no Certificate message, so
        // the server's bytes tell: at least the certificate's size less than those of a reference full handshake.
        using (X509Certificate2 leaf = X509CertificateLoader.LoadCertificateFromFile(pki.Certificate(scenario.Key)))
        {
            _certificateSize = leaf.RawData.Length;
        }

        _expectResumed = scenario.Kind == ScenarioKind.Resume;
        _fullHandshakeBytes = Handshake(_setup.FullHandshakeClient, out string negotiated);

        // Seeds SslStream's process-wide client session cache (when resume is on), as OpenSslTls's first handshake does.
        Handshake(_setup.Client, out _);
        long second = Verify(out bool resumed);
        Description = $"{negotiated}, server sent {_fullHandshakeBytes} B, then {second} B (resumed={resumed})";
    }

    public string Description { get; }

    public void Run() => Handshake(_setup.Client, out _);

    public void Verify() => Verify(out _);

    public void Dispose() => _setup.Dispose();

    private long Verify(out bool resumed)
    {
        long sent = Handshake(_setup.Client, out _);
        resumed = sent + _certificateSize <= _fullHandshakeBytes;
        if (resumed != _expectResumed)
        {
            throw new InvalidOperationException($"SslStream resumed = {resumed}, expected {_expectResumed}: the server sent {_fullHandshakeBytes} B, then {sent} B");
        }

        return sent;
    }

    private long Handshake(SslClientAuthenticationOptions client, out string negotiated)
    {
        using (SslStreamPair pair = SslStreamPair.Connect(_setup.Server, client, _clientTransport, _serverTransport))
        {
            negotiated = $"{pair.Client.SslProtocol} {pair.Client.NegotiatedCipherSuite}";
            pair.DrainClient();
        }

        long sent = _clientTransport.Input.BytesWritten;
        _clientTransport.Input.Reset();
        _serverTransport.Input.Reset();
        return sent;
    }
}
