using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.AspNetCore;

/// <summary>
/// <c>UseOpenSslTls</c> in a real Kestrel app driven by real <c>curl</c> processes: HTTP/1.1 and HTTP/2 chosen by ALPN,
/// client certificates as ITlsConnectionFeature shows them, SNI choosing the profile, the features Kestrel's own HTTPS sets.
/// </summary>
public sealed class KestrelCurlTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    private static TlsModuleOptions ServerOptions(Action<TlsModuleOptions>? change = null)
    {
        var options = new TlsModuleOptions { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey, CaList = Pki.RootCaCertificate };
        change?.Invoke(options);
        return options;
    }

    [SkippableFact]
    public async Task Curl_gets_HTTP11_and_HTTP2_by_ALPN_from_the_endpoint_protocols_over_TLS13()
    {
        Curl.Require();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(listen => listen.UseOpenSslTls(ServerOptions()));

        KestrelTestApp.Echo http1 = Curl.Echo(app.Port, extra: "--http1.1");
        Assert.Equal("HTTP/1.1", http1.HttpProtocol);
        Assert.True(http1.IsHttps);
        Assert.Equal("http/1.1", http1.ApplicationProtocol);
        Assert.Equal("Tls13", http1.TlsProtocol);
        Assert.Equal("TLSv1.3", http1.OpenSslProtocol);
        Assert.StartsWith("TLS_", http1.CipherSuite, StringComparison.Ordinal);
        Assert.Equal(TestPki.ServerName, http1.HostName);
        Assert.Null(http1.ClientCertificateSubject);

        KestrelTestApp.Echo http2 = Curl.Echo(app.Port, extra: "--http2");
        Assert.Equal("HTTP/2", http2.HttpProtocol);
        Assert.Equal("h2", http2.ApplicationProtocol);
    }

    [SkippableFact]
    public async Task An_HTTP11_only_endpoint_offers_only_http11_and_HTTP2_clients_fall_back()
    {
        Curl.Require();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(listen => listen.UseOpenSslTls(ServerOptions()), HttpProtocols.Http1);

        KestrelTestApp.Echo echo = Curl.Echo(app.Port, extra: "--http2");
        Assert.Equal("HTTP/1.1", echo.HttpProtocol);
        Assert.Equal("http/1.1", echo.ApplicationProtocol);
    }

    [SkippableFact]
    public async Task TLS12_with_HTTP2_reports_the_TLS12_suite_by_its_IANA_name()
    {
        Curl.Require();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(listen => listen.UseOpenSslTls(ServerOptions()));

        KestrelTestApp.Echo echo = Curl.Echo(app.Port, extra: ["--http2", "--tlsv1.2", "--tls-max", "1.2"]);
        Assert.Equal("HTTP/2", echo.HttpProtocol);
        Assert.Equal("Tls12", echo.TlsProtocol);
        Assert.Equal("TLSv1.2", echo.OpenSslProtocol);
        Assert.StartsWith("TLS_ECDHE_ECDSA_WITH_", echo.CipherSuite, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_large_response_arrives_whole_over_HTTP11_and_HTTP2()
    {
        Curl.Require();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(listen => listen.UseOpenSslTls(ServerOptions()));

        foreach (string version in new[] { "--http1.1", "--http2" })
        {
            (int code, string body, string error) = Curl.Get(app.Port, "/big", extra: version);
            Assert.True(code == 0, $"curl {version} exited {code}: {error}");
            Assert.Equal(300_000, body.Length);
        }
    }
}
