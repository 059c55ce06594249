using System.Diagnostics.Metrics;
using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSslTls.AspNetCore;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>
/// <c>listenOptions.UseOpenSslTls(...)</c>: TLS on a Kestrel endpoint by OpenSslTls (OpenSSL's libssl) instead of
/// <c>UseHttps()</c>'s SslStream. Connection middleware, so it goes where <c>UseHttps()</c> would (before anything
/// that must see plaintext).
/// </summary>
public static class OpenSslTlsListenOptionsExtensions
{
    /// <summary>The log category of the middleware (handshake failures and timeouts at debug).</summary>
    public const string LogCategory = "OpenSslTls.AspNetCore";

    /// <summary>TLS through the <see cref="TlsModule"/> registered in the application's services (<c>services.AddOpenSslTls(...)</c>).</summary>
    public static ListenOptions UseOpenSslTls(this ListenOptions listenOptions) =>
        listenOptions.UseOpenSslTls(new OpenSslTlsConnectionOptions());

    /// <summary>TLS through <paramref name="module"/>, which the application owns (its profiles, reload, admin views and metrics cover these connections).</summary>
    public static ListenOptions UseOpenSslTls(this ListenOptions listenOptions, TlsModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return listenOptions.UseOpenSslTls(new OpenSslTlsConnectionOptions { Module = module });
    }

    /// <summary>TLS through a module built from <paramref name="moduleOptions"/> (Kamailio's parameters and tls.cfg profiles) when Kestrel starts.</summary>
    public static ListenOptions UseOpenSslTls(this ListenOptions listenOptions, TlsModuleOptions moduleOptions)
    {
        ArgumentNullException.ThrowIfNull(moduleOptions);
        return listenOptions.UseOpenSslTls(new OpenSslTlsConnectionOptions { ModuleOptions = moduleOptions });
    }

    /// <summary>TLS as <paramref name="configure"/> sets the options.</summary>
    public static ListenOptions UseOpenSslTls(this ListenOptions listenOptions, Action<OpenSslTlsConnectionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OpenSslTlsConnectionOptions();
        configure(options);
        return listenOptions.UseOpenSslTls(options);
    }

    /// <summary>
    /// TLS as <paramref name="options"/> say. The module is found (or built) when Kestrel builds the endpoint at start:
    /// a bad configuration fails the start with the module's error naming the parameter.
    /// </summary>
    public static ListenOptions UseOpenSslTls(this ListenOptions listenOptions, OpenSslTlsConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ClientCertificateMode == ClientCertificateMode.DelayCertificate)
        {
            throw new ArgumentException("ClientCertificateMode.DelayCertificate needs renegotiation, which UseOpenSslTls does not offer: use AllowCertificate or RequireCertificate.", nameof(options));
        }

        // Read now: the caller may change the options object afterwards; the endpoint keeps what it was given.
        TlsModule? module = options.Module;
        TlsModuleOptions? moduleOptions = options.ModuleOptions?.Clone();
        TlsModuleHostOptions? hostOptions = options.HostOptions;
        TimeSpan handshakeTimeout = options.HandshakeTimeout;
        ClientCertificateMode mode = options.ClientCertificateMode;
        SslApplicationProtocol[]? protocols = options.ApplicationProtocols is { } list ? [.. list] : null;

        listenOptions.Use(next =>
        {
            // Runs when Kestrel builds the endpoint (at start), after the endpoint's Protocols are final.
            IServiceProvider services = listenOptions.ApplicationServices;
            ILoggerFactory loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            bool owned = false;
            TlsModule chosen;
            if (module is not null)
            {
                chosen = module;
            }
            else if (moduleOptions is not null)
            {
                chosen = TlsModule.Create(WithClientCertificateMode(moduleOptions, mode), hostOptions ?? new TlsModuleHostOptions
                {
                    LoggerFactory = loggerFactory,
                    MeterFactory = services.GetService<IMeterFactory>(),
                });
                owned = true;
            }
            else
            {
                chosen = services.GetService<TlsModule>() ?? throw new InvalidOperationException(
                    "UseOpenSslTls() found no TlsModule: register one (services.AddOpenSslTls(...)) or give a module or module options.");
            }

            var middleware = new OpenSslTlsConnectionMiddleware(
                next,
                chosen,
                handshakeTimeout,
                mode,
                protocols ?? ProtocolsFor(listenOptions.Protocols),
                loggerFactory.CreateLogger(LogCategory));
            middleware.Attach();
            if (services.GetService<IHostApplicationLifetime>() is { } lifetime)
            {
                lifetime.ApplicationStopped.Register(() =>
                {
                    middleware.Detach();
                    if (owned)
                    {
                        chosen.Dispose();
                    }
                });
            }

            return middleware.OnConnectionAsync;
        });
        return listenOptions;
    }

    /// <summary>ALPN for the endpoint's HTTP versions, HTTP/2 preferred as Kestrel's own HTTPS does (HTTP/3 is QUIC, not here).</summary>
    internal static SslApplicationProtocol[] ProtocolsFor(HttpProtocols protocols)
    {
        var list = new List<SslApplicationProtocol>(2);
        if ((protocols & HttpProtocols.Http2) != 0)
        {
            list.Add(SslApplicationProtocol.Http2);
        }

        if ((protocols & HttpProtocols.Http1) != 0)
        {
            list.Add(SslApplicationProtocol.Http11);
        }

        return [.. list];
    }

    /// <summary>The client certificate mode as <c>verify_client</c>, for options that say nothing about client certificates.</summary>
    private static TlsModuleOptions WithClientCertificateMode(TlsModuleOptions options, ClientCertificateMode mode)
    {
        if (mode == ClientCertificateMode.NoCertificate || options.VerifyCertificate || options.RequireCertificate || options.VerifyClient != VerifyClientMode.Off)
        {
            return options;
        }

        options.VerifyClient = mode == ClientCertificateMode.RequireCertificate ? VerifyClientMode.On : VerifyClientMode.Optional;
        return options;
    }
}
