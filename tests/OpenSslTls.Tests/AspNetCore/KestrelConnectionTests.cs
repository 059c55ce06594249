using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenSslTls.AspNetCore;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.AspNetCore;

/// <summary>
/// The connection side of <c>UseOpenSslTls</c>: SNI choosing the profile, the handshake timeout, bad handshakes, and
/// the application's own module seeing (and killing) Kestrel's connections.
/// </summary>
public sealed class KestrelConnectionTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    [SkippableFact]
    public async Task SNI_chooses_the_profile_by_host_name()
    {
        Curl.Require();
        using var config = new TlsConfigFile();
        File.WriteAllText(config.Path, $"""
            [server:default]
            certificate = {Pki.ServerEcCertificate}
            private_key = {Pki.ServerEcKey}

            [server:any]
            server_name = {TestPki.SniServerName}
            certificate = {Pki.SniServerCertificate}
            private_key = {Pki.SniServerKey}

            [client:default]
            """);
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(listen => listen.UseOpenSslTls(config.Options()));

        // curl checks each certificate against the name it asked for: the right profile answered, or curl fails.
        KestrelTestApp.Echo sni = Curl.Echo(app.Port, TestPki.SniServerName, "--http2");
        Assert.Equal(TestPki.SniServerName, sni.HostName);
        Assert.Equal(TestPki.SniServerName, sni.OpenSslServerName);
        Assert.Equal(TestPki.SniServerName, sni.ProfileServerName);
        Assert.Equal("HTTP/2", sni.HttpProtocol);

        KestrelTestApp.Echo plain = Curl.Echo(app.Port, TestPki.ServerName, "--http2");
        Assert.Equal(TestPki.ServerName, plain.HostName);
        Assert.Null(plain.ProfileServerName);
    }

    [SkippableFact]
    public async Task A_client_that_connects_and_sends_nothing_is_closed_at_the_handshake_timeout()
    {
        Curl.Require();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(listen => listen.UseOpenSslTls(tls =>
        {
            tls.ModuleOptions = new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey };
            tls.HandshakeTimeout = TimeSpan.FromMilliseconds(300);
        }));

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, app.Port);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var buffer = new byte[16];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        int read = await client.GetStream().ReadAsync(buffer, limit.Token);
        Assert.Equal(0, read);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"closed only after {clock.Elapsed}");
        await Eventually.TrueAsync(
            () => app.Logs.GetSnapshot().Any(log => log.Message.Contains("TLS handshake timed out", StringComparison.Ordinal)),
            "the timeout was not logged at debug");

        // The server goes on serving.
        Assert.Equal("HTTP/2", Curl.Echo(app.Port, extra: "--http2").HttpProtocol);
    }

    [SkippableFact]
    public async Task Plain_HTTP_to_the_TLS_port_fails_that_connection_only_and_is_logged_at_debug()
    {
        Curl.Require();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(listen =>
            listen.UseOpenSslTls(new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey }));

        (int code, _, _) = ProcessRunner.Run("curl", ["-sS", "--max-time", "10", $"http://127.0.0.1:{app.Port}/"], TimeSpan.FromSeconds(20));
        Assert.NotEqual(0, code);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, app.Port);
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("\x16\x03\x01\x00\x05garbage-after-a-record-header\r\n\r\n"));
            var buffer = new byte[256];
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(8));
            while (await client.GetStream().ReadAsync(buffer, limit.Token) > 0)
            {
                // the alert, then the close
            }
        }

        await Eventually.TrueAsync(
            () => app.Logs.GetSnapshot().Count(log => log.Message.Contains("TLS handshake failed", StringComparison.Ordinal) && log.Level == Microsoft.Extensions.Logging.LogLevel.Debug) >= 2,
            "the failed handshakes were not logged at debug");
        Assert.Equal("HTTP/1.1", Curl.Echo(app.Port, extra: "--http1.1").HttpProtocol);
    }

    [SkippableFact]
    public async Task The_application_module_lists_Kestrel_connections_and_tls_kill_aborts_one()
    {
        Curl.Require();
        using TlsModule module = TlsModule.Create(new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey });
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(
            listen => listen.UseOpenSslTls(module),
            map: web =>
            {
                web.MapGet("/listed", (HttpContext http) =>
                {
                    long id = http.Features.GetRequiredFeature<IOpenSslTlsFeature>().ConnectionId;
                    return module.List().Any(summary => summary.Id == id) ? $"listed {id}" : $"missing {id}";
                });
                web.MapGet("/kill", async (HttpContext http) =>
                {
                    long id = http.Features.GetRequiredFeature<IOpenSslTlsFeature>().ConnectionId;
                    await http.Response.WriteAsync("killing\n");
                    await http.Response.Body.FlushAsync();
                    module.Kill(id);
                    await Task.Delay(TimeSpan.FromSeconds(5), http.RequestAborted);
                    await http.Response.WriteAsync("not killed\n");
                });
            });

        (int code, string body, string error) = Curl.Get(app.Port, "/listed", extra: "--http2");
        Assert.True(code == 0, error);
        Assert.StartsWith("listed ", body, StringComparison.Ordinal);

        (code, body, _) = Curl.Get(app.Port, "/kill", extra: "--http1.1");
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("not killed", body, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => module.List().Count == 0, "the killed connection is still listed");
    }

    [SkippableFact]
    public async Task UseOpenSslTls_without_arguments_takes_the_module_AddOpenSslTls_registered()
    {
        Curl.Require();
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tls:certificate"] = Pki.ServerEcCertificate,
            ["Tls:private_key"] = Pki.ServerEcKey,
        }).Build();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(
            listen => listen.UseOpenSslTls(),
            services: services => services.AddOpenSslTls(configuration.GetSection("Tls")),
            map: web => web.MapGet("/module", (HttpContext http, TlsModule module) =>
                module.List().Any(summary => summary.Id == http.Features.GetRequiredFeature<IOpenSslTlsFeature>().ConnectionId) ? "same" : "other"));

        (int code, string body, string error) = Curl.Get(app.Port, "/module", extra: "--http2");
        Assert.True(code == 0, error);
        Assert.Equal("same", body);
    }
}
