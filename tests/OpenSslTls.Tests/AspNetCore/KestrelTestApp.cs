using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.AspNetCore;

namespace OpenSslTls.Tests.AspNetCore;

/// <summary>
/// A real Kestrel app on 127.0.0.1, port 0, whose one endpoint answers with what the connection's TLS features say
/// (JSON: <see cref="Echo"/>), with the listen options configured by the test (<c>UseOpenSslTls(...)</c>). Logs go
/// to a <see cref="FakeLogCollector"/>.
/// </summary>
internal sealed class KestrelTestApp : IAsyncDisposable
{
    private KestrelTestApp(WebApplication app, int port)
    {
        App = app;
        Port = port;
    }

    public WebApplication App { get; }

    public int Port { get; }

    public FakeLogCollector Logs => App.Services.GetFakeLogCollector();

    public static async Task<KestrelTestApp> StartAsync(Action<ListenOptions> listen, HttpProtocols protocols = HttpProtocols.Http1AndHttp2, Action<IServiceCollection>? services = null, Action<WebApplication>? map = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Test" });
        builder.Logging.ClearProviders();
        builder.Logging.AddFakeLogging().SetMinimumLevel(LogLevel.Debug);
        services?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, options =>
        {
            options.Protocols = protocols;
            listen(options);
        }));
        WebApplication app = builder.Build();
        app.MapGet("/", (HttpContext http) => Results.Text(JsonSerializer.Serialize(Echo.Of(http)), "application/json"));
        app.MapGet("/big", () => Results.Text(new string('x', 300_000)));
        map?.Invoke(app);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new KestrelTestApp(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>What the endpoint tells about the request's connection.</summary>
    internal sealed record Echo(
        string HttpProtocol,
        bool IsHttps,
        string? TlsProtocol,
        string? CipherSuite,
        string? HostName,
        string? ApplicationProtocol,
        string? ClientCertificateSubject,
        string? OpenSslProtocol,
        string? OpenSslServerName,
        bool? OpenSslSessionReused,
        string? ProfileServerName)
    {
        public static Echo Of(HttpContext http)
        {
            ITlsHandshakeFeature? handshake = http.Features.Get<ITlsHandshakeFeature>();
            ITlsConnectionFeature? tls = http.Features.Get<ITlsConnectionFeature>();
            var alpn = http.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>();
            IOpenSslTlsFeature? ours = http.Features.Get<IOpenSslTlsFeature>();
            return new Echo(
                http.Request.Protocol,
                http.Request.IsHttps,
                handshake?.Protocol.ToString(),
                handshake?.NegotiatedCipherSuite?.ToString(),
                handshake?.HostName,
                alpn is null ? null : System.Text.Encoding.ASCII.GetString(alpn.ApplicationProtocol.Span),
                tls?.ClientCertificate?.Subject,
                ours?.Info.Protocol,
                ours?.Info.ServerName,
                ours?.Info.SessionReused,
                ours?.Profile.Settings.ServerName);
        }
    }
}
