using System.Globalization;
using System.Text;
using OpenSslTls.Connections;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>One-line rendering of a connection's TLS facts, shared by the server log and the <c>send</c> output.</summary>
internal static class TlsFactsText
{
    /// <summary>e.g. <c>TLSv1.3 TLS_AES_256_GCM_SHA384 (256 bits), sni=localhost, peer=/CN=alice, verified=yes, resumed=no, group=X25519</c>.</summary>
    public static string Format(TlsConnectionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var text = new StringBuilder(200);
        text.Append(CultureInfo.InvariantCulture, $"{info.Protocol} {info.CipherName} ({info.CipherBits} bits)");
        text.Append(", sni=").Append(info.ServerName ?? "-");
        text.Append(", peer=").Append(info.PeerCertificate?.Subject.Line ?? "none");
        text.Append(", verified=").Append(info.PeerVerified ? "yes" : "no");
        if (info.PeerCertificate is not null && !info.PeerVerified)
        {
            text.Append(" (").Append(info.VerifyResultText).Append(')');
        }

        text.Append(", resumed=").Append(info.SessionReused ? "yes" : "no");
        text.Append(", group=").Append(info.KeyExchangeGroup ?? "-");
        return text.ToString();
    }
}
