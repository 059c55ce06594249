using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OpenSslTls.Configuration;
using OpenSslTls.Module;

namespace OpenSslTls.AspNetCore;

/// <summary>
/// How <c>listenOptions.UseOpenSslTls(...)</c> terminates TLS on a Kestrel endpoint. Give the connections' source:
/// <see cref="Module"/> (a <see cref="TlsModule"/> the application owns, so its profiles, reload, admin views and
/// metrics cover these connections too), or <see cref="ModuleOptions"/> (the middleware builds a module of its own,
/// disposed when the application stops). With neither, the <see cref="TlsModule"/> registered in the application's
/// services (<c>services.AddOpenSslTls(...)</c>) is used.
/// </summary>
public sealed class OpenSslTlsConnectionOptions
{
    /// <summary>The default <see cref="HandshakeTimeout"/>: 10 seconds, as Kestrel's own HTTPS.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    private TimeSpan _handshakeTimeout = DefaultHandshakeTimeout;

    /// <summary>
    /// The application's module: each accepted connection is <see cref="TlsModule.AcceptConnection"/>'s (the server
    /// profile by local address, switched by SNI), listed by <c>tls.list</c>, killed by <c>tls.kill</c>. The
    /// middleware never disposes it. Takes precedence over <see cref="ModuleOptions"/>.
    /// </summary>
    public TlsModule? Module { get; set; }

    /// <summary>
    /// The module parameters (and tls.cfg profiles) for a module the middleware builds itself when Kestrel builds the
    /// endpoint, with the application's logger and meter factories (<see cref="HostOptions"/> overrides them), and
    /// disposes when the application stops.
    /// </summary>
    public TlsModuleOptions? ModuleOptions { get; set; }

    /// <summary>Logging, metrics and clock for the module built from <see cref="ModuleOptions"/>; null: the application's.</summary>
    public TlsModuleHostOptions? HostOptions { get; set; }

    /// <summary>
    /// How long a client has from its TCP connection to a completed handshake; then the connection is closed (logged at
    /// debug). Default <see cref="DefaultHandshakeTimeout"/>; <see cref="Timeout.InfiniteTimeSpan"/> for none.
    /// </summary>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        set
        {
            if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The handshake timeout must be positive or Timeout.InfiniteTimeSpan.");
            }

            _handshakeTimeout = value;
        }
    }

    /// <summary>
    /// The client certificate rule. <see cref="ClientCertificateMode.RequireCertificate"/>: a connection whose client
    /// sent no certificate is closed after the handshake (logged at debug). Whether a certificate is asked for and how
    /// it is verified is the profile's (<c>verify_client</c>, <c>ca_list</c>): for a module built from
    /// <see cref="ModuleOptions"/> that set none of <c>verify_certificate</c>, <c>require_certificate</c> and
    /// <c>verify_client</c>, <see cref="ClientCertificateMode.AllowCertificate"/> sets <c>verify_client=optional</c>
    /// and <see cref="ClientCertificateMode.RequireCertificate"/> <c>verify_client=on</c>.
    /// <see cref="ClientCertificateMode.DelayCertificate"/> (renegotiation) is refused. Default
    /// <see cref="ClientCertificateMode.NoCertificate"/>: the profile alone decides, and a certificate it accepted is
    /// still exposed.
    /// </summary>
    public ClientCertificateMode ClientCertificateMode { get; set; } = ClientCertificateMode.NoCertificate;

    /// <summary>
    /// The ALPN protocols offered when the connection's profile sets none, in order of preference. Null (the default):
    /// derived from the endpoint's <c>HttpProtocols</c> — <c>h2</c> and/or <c>http/1.1</c>. Empty: none.
    /// </summary>
    public IReadOnlyList<SslApplicationProtocol>? ApplicationProtocols { get; set; }
}
