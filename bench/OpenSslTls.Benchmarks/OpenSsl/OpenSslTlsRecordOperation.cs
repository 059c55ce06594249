using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Benchmarks.OpenSsl;

/// <summary>One message through an established OpenSslTls pair: the client encrypts it, the server decrypts it.</summary>
internal sealed class OpenSslTlsRecordOperation : IBenchOperation
{
    private readonly TlsProfile _serverProfile;
    private readonly TlsProfile _clientProfile;
    private readonly TlsConnection _server;
    private readonly TlsConnection _client;
    private readonly OpenSslTlsPump _pump = new();
    private readonly byte[] _message;

    public OpenSslTlsRecordOperation(BenchPki pki, Scenario scenario)
    {
        _serverProfile = OpenSslTlsProfiles.Server(pki, scenario);
        _clientProfile = OpenSslTlsProfiles.Client(pki, scenario);
        _server = _serverProfile.CreateConnection();
        _client = _clientProfile.CreateConnection(BenchPki.ServerName);
        _pump.Handshake(_client, _server);
        _pump.Reset();
        _message = Message.Create(scenario.Size);
        SendOne();
        if (!_pump.ServerPlaintext.WrittenSpan.SequenceEqual(_message))
        {
            throw new InvalidOperationException("the message did not arrive intact");
        }

        _pump.Reset();
        Description = $"{_client.Info!.Protocol} {_client.Info.CipherName}";
    }

    public string Description { get; }

    public void Run()
    {
        SendOne();
        if (_pump.ServerPlaintext.WrittenCount != _message.Length)
        {
            throw new InvalidOperationException($"the server decrypted {_pump.ServerPlaintext.WrittenCount} bytes, not {_message.Length}");
        }

        _pump.ServerPlaintext.ResetWrittenCount();
    }

    public void Verify()
    {
        Run();
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _clientProfile.Dispose();
        _serverProfile.Dispose();
    }

    private void SendOne()
    {
        TlsResult sent = _client.Send(_message, _pump.ToServer);
        if (sent.Status != TlsStatus.Ok)
        {
            throw new InvalidOperationException($"send failed: {sent.Status}");
        }

        _pump.DeliverToServer(_server);
    }
}
