using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.AspNetCore;

/// <summary>Client certificates through <c>UseOpenSslTls</c>, as curl sends them and ITlsConnectionFeature shows them.</summary>
public sealed class KestrelClientCertificateTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    private static TlsModuleOptions ServerOptions() =>
        new() { Certificate = Pki.ServerEcCertificate, PrivateKey = Pki.ServerEcKey, CaList = Pki.RootCaCertificate };

    private static Task<KestrelTestApp> StartAsync(ClientCertificateMode mode, TlsModuleOptions? options = null, TlsModule? module = null) =>
        KestrelTestApp.StartAsync(listen => listen.UseOpenSslTls(tls =>
        {
            tls.Module = module;
            tls.ModuleOptions = module is null ? options ?? ServerOptions() : null;
            tls.ClientCertificateMode = mode;
        }));

    [SkippableFact]
    public async Task Required_mode_refuses_curl_without_a_certificate_and_shows_the_one_it_sends_over_HTTP11_and_HTTP2()
    {
        Curl.Require();
        await using KestrelTestApp app = await StartAsync(ClientCertificateMode.RequireCertificate);

        (int code, _, string error) = Curl.Get(app.Port, extra: "--http1.1");
        Assert.True(code != 0, "curl without a certificate was served on a required-certificate endpoint");

        foreach (string version in new[] { "--http1.1", "--http2" })
        {
            KestrelTestApp.Echo echo = Curl.Echo(app.Port, extra: Curl.WithClientCertificate(version));
            Assert.Equal($"CN={TestPki.ClientName}", echo.ClientCertificateSubject);
        }

        Assert.NotEmpty(error);
    }

    [SkippableFact]
    public async Task Allowed_mode_serves_curl_with_and_without_a_certificate_and_refuses_an_untrusted_one()
    {
        Curl.Require();
        await using KestrelTestApp app = await StartAsync(ClientCertificateMode.AllowCertificate);

        Assert.Null(Curl.Echo(app.Port, extra: "--http2").ClientCertificateSubject);
        Assert.Equal($"CN={TestPki.ClientName}", Curl.Echo(app.Port, extra: Curl.WithClientCertificate("--http2")).ClientCertificateSubject);

        (int code, _, _) = Curl.Get(app.Port, extra: ["--cert", Pki.UntrustedClientCertificate, "--key", Pki.UntrustedClientKey]);
        Assert.True(code != 0, "an untrusted client certificate was accepted in allowed mode (verify_client=optional)");
    }

    [SkippableFact]
    public async Task No_certificate_mode_asks_for_none()
    {
        Curl.Require();
        await using KestrelTestApp app = await StartAsync(ClientCertificateMode.NoCertificate);

        // The profile asks for nothing, so curl sends nothing even when it has one.
        Assert.Null(Curl.Echo(app.Port, extra: Curl.WithClientCertificate()).ClientCertificateSubject);
    }

    [SkippableFact]
    public async Task Required_mode_over_an_application_module_that_asks_for_no_certificate_closes_the_connection_after_the_handshake()
    {
        Curl.Require();
        using TlsModule module = TlsModule.Create(ServerOptions());
        await using KestrelTestApp app = await StartAsync(ClientCertificateMode.RequireCertificate, module: module);

        (int code, _, _) = Curl.Get(app.Port);
        Assert.True(code != 0, "a connection without a client certificate was served in required mode");
        await Eventually.TrueAsync(
            () => app.Logs.GetSnapshot().Any(log => log.Message.Contains("the client sent no certificate", StringComparison.Ordinal)),
            "the refusal was not logged");
    }
}
