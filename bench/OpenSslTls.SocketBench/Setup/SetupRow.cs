using OpenSslTls.Benchmarks;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Setup;

/// <summary>One row of the connection set-up suite: version, certificate key and how connections begin.</summary>
internal sealed record SetupRow(string Id, string Label, BenchTlsVersion Version, ServerKey Key, SetupResumption Resumption)
{
    /// <summary>The rows, in the order they run and print.</summary>
    public static readonly SetupRow[] All =
    [
        new("setup-new-tls13", "new TLS 1.3, ECDSA P-256", BenchTlsVersion.Tls13, ServerKey.P256, SetupResumption.None),
        new("setup-new-tls12-ecdsa", "new TLS 1.2, ECDSA P-256", BenchTlsVersion.Tls12, ServerKey.P256, SetupResumption.None),
        new("setup-new-tls12-rsa", "new TLS 1.2, RSA-2048", BenchTlsVersion.Tls12, ServerKey.Rsa2048, SetupResumption.None),
        new("setup-resumed-tls12-id", "resumed TLS 1.2, session id", BenchTlsVersion.Tls12, ServerKey.P256, SetupResumption.SessionId),
        new("setup-resumed-tls12-ticket", "resumed TLS 1.2, ticket", BenchTlsVersion.Tls12, ServerKey.P256, SetupResumption.Ticket),
        new("setup-resumed-tls13", "resumed TLS 1.3, ticket (PSK)", BenchTlsVersion.Tls13, ServerKey.P256, SetupResumption.Tls13Ticket),
    ];

    /// <summary>Whether the servers keep sessions for this row (serve's session_cache 1, SslStream's AllowTlsResume).</summary>
    public bool Resumes => Resumption != SetupResumption.None;

    /// <summary>
    /// Whether s_time has to read after the handshake (<c>-www</c>): only so does a TLS 1.3 client receive the
    /// NewSessionTickets, and only a connection that then ends with close_notify leaves its session resumable.
    /// </summary>
    public bool Reads => Resumption == SetupResumption.Tls13Ticket;
}
