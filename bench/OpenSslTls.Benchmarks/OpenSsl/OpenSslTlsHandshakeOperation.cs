using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Benchmarks.OpenSsl;

/// <summary>
/// One full or resumed OpenSslTls handshake: a client and a server connection are created, pumped until both are
/// established (including TLS 1.3 tickets, which the client processes), and disposed.
/// </summary>
internal sealed class OpenSslTlsHandshakeOperation : IBenchOperation
{
    private readonly TlsProfile _server;
    private readonly TlsProfile _client;
    private readonly TlsSession? _resume;
    private readonly string? _group;
    private readonly bool _ownsProfiles = true;
    private readonly OpenSslTlsPump _pump = new();

    public OpenSslTlsHandshakeOperation(BenchPki pki, Scenario scenario)
    {
        _server = OpenSslTlsProfiles.Server(pki, scenario);
        _client = OpenSslTlsProfiles.Client(pki, scenario);
        _group = scenario.Group;
        string first = Check(expectResumed: false);
        if (scenario.Kind == ScenarioKind.Resume)
        {
            _resume = FirstSession();
            Description = $"first: {first}; resumed: {Check(expectResumed: true)}";
        }
        else
        {
            Description = first;
        }
    }

    private OpenSslTlsHandshakeOperation(OpenSslTlsHandshakeOperation shared)
    {
        _server = shared._server;
        _client = shared._client;
        _resume = shared._resume;
        _group = shared._group;
        _ownsProfiles = false;
        Description = shared.Description;
    }

    public string Description { get; }

    /// <summary>
    /// An operation for another thread on the same two profiles (one server and one client <c>SSL_CTX</c>) and the same
    /// session to resume, with a pump of its own: the scaling mode's shared-context case. Its Dispose leaves them to
    /// this one.
    /// </summary>
    public OpenSslTlsHandshakeOperation Sibling() => new(this);

    public void Run()
    {
        TlsConnection server = _server.CreateConnection();
        TlsConnection client = _client.CreateConnection(BenchPki.ServerName, _resume);
        try
        {
            _pump.Handshake(client, server);
        }
        finally
        {
            client.Dispose();
            server.Dispose();
            _pump.Reset();
        }
    }

    public void Verify() => Check(expectResumed: _resume is not null);

    public void Dispose()
    {
        if (!_ownsProfiles)
        {
            return;
        }

        _resume?.Dispose();
        _server.Dispose();
        _client.Dispose();
    }

    private TlsSession FirstSession()
    {
        using TlsConnection server = _server.CreateConnection();
        using TlsConnection client = _client.CreateConnection(BenchPki.ServerName);
        _pump.Handshake(client, server);
        _pump.Reset();
        return client.GetSession() ?? throw new InvalidOperationException("no session to resume after the first handshake");
    }

    private string Check(bool expectResumed)
    {
        using TlsConnection server = _server.CreateConnection();
        using TlsConnection client = _client.CreateConnection(BenchPki.ServerName, expectResumed ? _resume : null);
        _pump.Handshake(client, server);
        _pump.Reset();
        TlsConnectionInfo info = client.Info!;
        if (info.SessionReused != expectResumed || server.Info!.SessionReused != expectResumed)
        {
            throw new InvalidOperationException($"expected session reused = {expectResumed}, got client {info.SessionReused}, server {server.Info!.SessionReused}");
        }

        if (!expectResumed && !info.PeerVerified)
        {
            throw new InvalidOperationException($"the client did not verify the server: {info.VerifyResultText}");
        }

        if (_group is not null && !string.Equals(info.KeyExchangeGroup, _group, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"expected group {_group}, negotiated {info.KeyExchangeGroup ?? "none"}");
        }

        return $"{info.Protocol} {info.CipherName}, group={info.KeyExchangeGroup ?? "-"}, reused={info.SessionReused}, server sent {_pump.ServerToClientBytes} B";
    }
}
