using System.Text.RegularExpressions;
using OpenSslTls.Interop;

namespace OpenSslTls.Tests.Infrastructure;

/// <summary>
/// Text that OpenSSL 3's s_server and s_client print, for <see cref="OpenSslProcess.WaitForOutput(string, TimeSpan)"/>.
/// Seen with OpenSSL 3.0.22 and 3.5.9; where the two differ (distinguished names: "CN = alice" in 3.0, "CN=alice"
/// from 3.2 on), match with <see cref="HasName"/> or <see cref="NamePattern"/>, never with one spelling. Mind the caveats: s_client prints its summary, "Verification: OK" included,
/// even when no handshake happened at all, and in TLS 1.3 it reports success before the server has
/// judged the client certificate; the surest proof of a working connection is application data that
/// arrives at the other side.
/// </summary>
public static class OpenSslOutput
{
    /// <summary>s_server, stdout: "ACCEPT 127.0.0.1:41945" once listening (not printed with -quiet).</summary>
    public const string ServerAccepting = "ACCEPT";

    /// <summary>s_server, stdout (not with -brief/-quiet/-rev): "CIPHER is TLS_AES_256_GCM_SHA384" once a handshake completed.</summary>
    public const string ServerHandshakeDone = "CIPHER is ";

    /// <summary>s_server, stdout: the connection ended (the peer closed, or the handshake failed). s_server also prints "DONE" when the peer closes.</summary>
    public const string ServerConnectionClosed = "CONNECTION CLOSED";

    /// <summary>s_server, stdout and stderr: "ERROR" then the reason, e.g. "...:tlsv1 alert unknown ca:...SSL alert number 48".</summary>
    public const string ServerError = "ERROR";

    /// <summary>s_server, stdout, with -servername: "Hostname in TLS extension: \"sip.example.test\"" (and "Switching server context." when it matched).</summary>
    public const string ServerSniReceived = "Hostname in TLS extension: ";

    /// <summary>s_server, stdout: after an "r"/"R" line on its stdin (server-initiated TLS 1.2 renegotiation; HelloRequest sent).</summary>
    public const string ServerRenegotiationRequested = "SSL_do_handshake -> 1";

    /// <summary>s_server, stdout: "Client certificate" then the PEM and "subject=CN = alice" when the client sent one.</summary>
    public const string ServerClientCertificate = "Client certificate";

    /// <summary>Either tool with -brief (s_server also with -rev), stderr: summary follows ("Protocol version: TLSv1.3", "Ciphersuite: ...", "Peer certificate: CN = ...").</summary>
    public const string BriefConnectionEstablished = "CONNECTION ESTABLISHED";

    /// <summary>s_client, stdout: the TCP connection is up ("CONNECTED(00000003)").</summary>
    public const string ClientConnected = "CONNECTED(";

    /// <summary>s_client, stdout (stderr with -brief): the server chain verified. Also printed when nothing was verified at all; pair it with <see cref="ClientTls13"/>/<see cref="ClientTls12"/>.</summary>
    public const string ClientVerificationOk = "Verification: OK";

    /// <summary>s_client, stdout: "Verification error: unable to get local issuer certificate" (the handshake may still go on without -verify_return_error).</summary>
    public const string ClientVerificationError = "Verification error: ";

    /// <summary>s_client, stdout: "Verify return code: 0 (ok)" or e.g. "Verify return code: 10 (certificate has expired)".</summary>
    public const string ClientVerifyReturnCode = "Verify return code: ";

    /// <summary>s_client, stdout: negotiated TLS 1.3 ("New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"); printed even when -verify_return_error then fails the handshake.</summary>
    public const string ClientTls13 = "New, TLSv1.3, Cipher is ";

    /// <summary>s_client, stdout: negotiated TLS 1.2 ("New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384").</summary>
    public const string ClientTls12 = "New, TLSv1.2, Cipher is ";

    /// <summary>s_client, stdout: no handshake took place (the peer closed or sent garbage).</summary>
    public const string ClientNoHandshake = "New, (NONE), Cipher is (NONE)";

    /// <summary>s_client, stderr: after an "R" line on its stdin (TLS 1.2 renegotiation; s_server needs -client_renegotiation to accept it in 3.0).</summary>
    public const string ClientRenegotiating = "RENEGOTIATING";

    /// <summary>s_client, stderr: after a "k"/"K" line on its stdin (TLS 1.3 KeyUpdate).</summary>
    public const string ClientKeyUpdate = "KEYUPDATE";

    /// <summary>s_client, stderr: it is quitting (stdin EOF or a line starting with "Q").</summary>
    public const string ClientDone = "DONE";

    /// <summary>
    /// A regular expression for one attribute of a distinguished name as the CLI prints it (x509 -text, s_client's
    /// "subject=" and CA-name lines, s_server's client certificate): <c>CN = alice</c> (3.0) or <c>CN=alice</c>
    /// (3.2 on). The value is matched exactly: it must end where the name ends, at a comma, a line end or the end.
    /// </summary>
    public static string NamePattern(string attribute, string value) =>
        $@"(?<![A-Za-z]){Regex.Escape(attribute)} ?= ?{Regex.Escape(value)}(?=[,\r\n]|\z)";

    /// <summary>Whether <paramref name="output"/> names <paramref name="attribute"/> = <paramref name="value"/> in either spelling (<see cref="NamePattern"/>).</summary>
    public static bool HasName(string output, string attribute, string value) =>
        Regex.IsMatch(output, NamePattern(attribute, value), RegexOptions.CultureInvariant);

    /// <summary>
    /// A regular expression for s_client's "Peer signature type: ..." line of a key type: 3.0 names the type
    /// (<c>ECDSA</c>, <c>RSA-PSS</c>, <c>RSA</c>), 3.5 the TLS signature scheme (<c>ecdsa_secp256r1_sha256</c>,
    /// <c>rsa_pss_rsae_sha256</c>, <c>rsa_pkcs1_sha256</c>). Either must name the whole value of the line.
    /// </summary>
    public static string PeerSignaturePattern(string type)
    {
        string scheme = type switch
        {
            "ECDSA" => @"ecdsa_\w+",
            "RSA-PSS" => @"rsa_pss_(?:rsae|pss)_\w+",
            "RSA" => @"rsa_pkcs1_\w+",
            "Ed25519" => "ed25519",
            "Ed448" => "ed448",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no TLS signature scheme known for this type"),
        };
        return $@"Peer signature type: (?:{Regex.Escape(type)}|{scheme})\r?$";
    }
}
