using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace OpenSslTls.SipEndpoint.Client;

/// <summary>Builds the OPTIONS requests <c>send</c> issues: one dialog-less request per CSeq, all sharing one Call-ID and From tag.</summary>
internal sealed class OptionsRequestBuilder
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly string _localHost;
    private readonly int _localPort;
    private readonly string _callId;
    private readonly string _fromTag;

    public OptionsRequestBuilder(string targetHost, int targetPort, IPEndPoint local)
    {
        ArgumentNullException.ThrowIfNull(targetHost);
        ArgumentNullException.ThrowIfNull(local);
        _targetHost = UriHost(targetHost);
        _targetPort = targetPort;
        _localHost = UriHost(local.Address.ToString());
        _localPort = local.Port;
        _callId = RandomToken(12) + "@" + _localHost;
        _fromTag = RandomToken(6);
    }

    /// <summary>The Call-ID every request carries.</summary>
    public string CallId => _callId;

    /// <summary>The OPTIONS request with CSeq <paramref name="sequence"/>; each has its own Via branch (a new transaction).</summary>
    public string Build(int sequence)
    {
        string target = $"sip:{_targetHost}:{_targetPort.ToString(CultureInfo.InvariantCulture)};transport=tls";
        string local = $"{_localHost}:{_localPort.ToString(CultureInfo.InvariantCulture)}";
        return string.Create(CultureInfo.InvariantCulture, $"""
            OPTIONS {target} SIP/2.0
            Via: SIP/2.0/TLS {local};branch=z9hG4bK{RandomToken(8)};rport
            Max-Forwards: 70
            From: <sip:openssltls@{_localHost}>;tag={_fromTag}
            To: <{target}>
            Call-ID: {_callId}
            CSeq: {sequence} OPTIONS
            Contact: <sip:openssltls@{local};transport=tls>
            Accept: application/sdp
            User-Agent: openssltls
            Content-Length: 0


            """).ReplaceLineEndings("\r\n");
    }

    private static string UriHost(string host) =>
        IPAddress.TryParse(host, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : host;

    private static string RandomToken(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
