using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.AspNetCore;

/// <summary>
/// The TLS features of one established connection, as Kestrel's own HTTPS middleware sets them (one object for all
/// of them, as Kestrel does), read from the connection's <see cref="TlsConnectionInfo"/> once at the handshake.
/// </summary>
internal sealed class TlsConnectionFeatures : ITlsConnectionFeature, ITlsHandshakeFeature, ITlsApplicationProtocolFeature, IOpenSslTlsFeature
{
    private X509Certificate2? _clientCertificate;
    private bool _clientCertificateRead;

    internal TlsConnectionFeatures(TlsConnection connection, TlsConnectionInfo info)
    {
        Info = info;
        ConnectionId = connection.Id;
        Profile = connection.Profile;
        Protocol = ProtocolOf(info.Protocol);
        ApplicationProtocol = info.ApplicationProtocol is { } alpn ? alpn.Protocol : ReadOnlyMemory<byte>.Empty;
    }

    public TlsConnectionInfo Info { get; }

    public long ConnectionId { get; }

    public TlsProfile Profile { get; }

    /// <summary>The client's certificate as .NET's type, made from its PEM on first use; null when none was sent.</summary>
    public X509Certificate2? ClientCertificate
    {
        get
        {
            if (!_clientCertificateRead)
            {
                _clientCertificate = Info.PeerCertificate is { } peer ? X509Certificate2.CreateFromPem(peer.Pem) : null;
                _clientCertificateRead = true;
            }

            return _clientCertificate;
        }

        set
        {
            _clientCertificate = value;
            _clientCertificateRead = true;
        }
    }

    public SslProtocols Protocol { get; }

    public System.Net.Security.TlsCipherSuite? NegotiatedCipherSuite => Info.CipherSuite;

    public string HostName => Info.ServerName ?? string.Empty;

    public ReadOnlyMemory<byte> ApplicationProtocol { get; }

#pragma warning disable SYSLIB0058 // the legacy algorithm facts ITlsHandshakeFeature still declares: read from the suite's IANA name
    CipherAlgorithmType ITlsHandshakeFeature.CipherAlgorithm => SuiteName switch
    {
        var name when name.Contains("_AES_128_", StringComparison.Ordinal) => CipherAlgorithmType.Aes128,
        var name when name.Contains("_AES_256_", StringComparison.Ordinal) => CipherAlgorithmType.Aes256,
        _ => CipherAlgorithmType.None,
    };

    int ITlsHandshakeFeature.CipherStrength => Info.CipherBits;

    HashAlgorithmType ITlsHandshakeFeature.HashAlgorithm => SuiteName switch
    {
        var name when name.EndsWith("_SHA384", StringComparison.Ordinal) => HashAlgorithmType.Sha384,
        var name when name.EndsWith("_SHA256", StringComparison.Ordinal) => HashAlgorithmType.Sha256,
        var name when name.EndsWith("_SHA", StringComparison.Ordinal) => HashAlgorithmType.Sha1,
        _ => HashAlgorithmType.None,
    };

    int ITlsHandshakeFeature.HashStrength => ((ITlsHandshakeFeature)this).HashAlgorithm switch
    {
        HashAlgorithmType.Sha384 => 384,
        HashAlgorithmType.Sha256 => 256,
        HashAlgorithmType.Sha1 => 160,
        _ => 0,
    };

    ExchangeAlgorithmType ITlsHandshakeFeature.KeyExchangeAlgorithm => SuiteName switch
    {
        var name when name.StartsWith("TLS_DHE_", StringComparison.Ordinal) => ExchangeAlgorithmType.DiffieHellman,
        var name when name.StartsWith("TLS_RSA_", StringComparison.Ordinal) => ExchangeAlgorithmType.RsaKeyX,
        _ => ExchangeAlgorithmType.None,
    };

    int ITlsHandshakeFeature.KeyExchangeStrength => 0;
#pragma warning restore SYSLIB0058

    private string SuiteName => Info.CipherSuite?.ToString() ?? string.Empty;

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(ClientCertificate); // no renegotiation: the certificate is the handshake's or none

    /// <summary>OpenSSL's version text as .NET's flag (<c>SSL_get_version</c>: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3).</summary>
    internal static SslProtocols ProtocolOf(string version) => version switch
    {
        "TLSv1.3" => SslProtocols.Tls13,
        "TLSv1.2" => SslProtocols.Tls12,
#pragma warning disable SYSLIB0039 // reported as negotiated, never enabled here
        "TLSv1.1" => SslProtocols.Tls11,
        "TLSv1" => SslProtocols.Tls,
#pragma warning restore SYSLIB0039
        _ => SslProtocols.None,
    };
}
