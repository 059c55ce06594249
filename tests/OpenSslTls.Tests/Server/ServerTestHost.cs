using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// An in-process <see cref="SipTlsServer"/> on 127.0.0.1 with an OS-chosen port, serving the test PKI's EC certificate,
/// its log captured. Client profiles made through it are disposed with it, so leak checks see everything freed.
/// </summary>
internal sealed class ServerTestHost : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly List<TlsProfile> _clientProfiles = [];

    private ServerTestHost(TlsProfile profile, SipTlsServer server, ILoggerFactory loggers, FakeLogCollector logs)
    {
        Profile = profile;
        Server = server;
        _loggers = loggers;
        Logs = logs;
    }

    public TlsProfile Profile { get; }

    public SipTlsServer Server { get; }

    public FakeLogCollector Logs { get; }

    public IPEndPoint Endpoint => Server.LocalEndpoints[0];

    public int Port => Endpoint.Port;

    /// <summary>Every log message so far, one per line.</summary>
    public string LogText => string.Join(Environment.NewLine, Logs.GetSnapshot().Select(record => record.Message));

    public static ServerTestHost Start(
        TlsRuntimeParameters? runtime = null,
        SipTlsServerOptions? options = null,
        TlsProfileSettings? settings = null,
        LogLevel logLevel = LogLevel.Information,
        IReadOnlyList<IPEndPoint>? listen = null)
    {
        TestPki pki = TestPki.Instance;
        var provider = new FakeLoggerProvider();
        ILoggerFactory loggers = LoggerFactory.Create(builder => builder.SetMinimumLevel(logLevel).AddProvider(provider));
        TlsProfile? profile = null;
        try
        {
            profile = TlsProfile.Create(
                TlsRole.Server,
                settings ?? new TlsProfileSettings { Certificate = pki.ServerEcCertificate, PrivateKey = pki.ServerEcKey },
                runtime: runtime,
                logger: loggers.CreateLogger("OpenSslTls"));
            SipTlsServer server = SipTlsServer.Start(
                profile,
                (options ?? new SipTlsServerOptions { MaxConnectionsPerAddress = 0 }) with { ListenEndpoints = listen ?? [new IPEndPoint(IPAddress.Loopback, 0)] },
                loggers);
            return new ServerTestHost(profile, server, loggers, provider.Collector);
        }
        catch
        {
            profile?.Dispose();
            loggers.Dispose();
            throw;
        }
    }

    /// <summary>A client profile (disposed with the host); by default one that does not verify the server.</summary>
    public TlsProfile ClientProfile(TlsProfileSettings? settings = null, TlsRuntimeParameters? runtime = null)
    {
        TlsProfile profile = TlsProfile.Create(TlsRole.Client, settings ?? new TlsProfileSettings(), runtime: runtime, label: "client:test");
        lock (_clientProfiles)
        {
            _clientProfiles.Add(profile);
        }

        return profile;
    }

    /// <summary>Connects a library client to the first (or the given) listen address and completes the handshake.</summary>
    public Task<SipTlsClient> ConnectAsync(CancellationToken cancellation, TlsProfile? clientProfile = null, string? serverName = "localhost", IPEndPoint? endpoint = null) =>
        SipTlsClient.ConnectAsync(endpoint ?? Endpoint, clientProfile ?? ClientProfile(), serverName, cancellation);

    /// <summary>True once a log message contains <paramref name="text"/>; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForLogAsync(string text, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!LogText.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync();
        Profile.Dispose();
        foreach (TlsProfile profile in _clientProfiles)
        {
            profile.Dispose();
        }

        _loggers.Dispose();
    }
}
