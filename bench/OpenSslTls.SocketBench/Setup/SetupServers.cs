using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Setup;

/// <summary>
/// The three servers of a set-up row, given the same certificate, version, suite and resumption: <c>openssltls serve</c>
/// as shipped (settings through a modparam file), the SslStream server mode of this program, and <c>openssl s_server</c>.
/// None of them asks for a client certificate (serve's default verify_certificate 0, SslStream's
/// ClientCertificateRequired false, s_server without -verify).
/// </summary>
internal static class SetupServers
{
    /// <summary>The file s_server serves to <c>s_time -www</c> (relative to its working directory).</summary>
    public const string PageName = "page";

    /// <summary>The servers of a row: serve, SslStream, s_server, and the baseline build of serve when one is given.</summary>
    public static ServerKind[] Kinds(string? baseline) => baseline is null
        ? [ServerKind.OpenSslTls, ServerKind.SslStream, ServerKind.OpenSslServer]
        : [ServerKind.OpenSslTls, ServerKind.SslStream, ServerKind.OpenSslServer, ServerKind.Baseline];

    private static readonly TimeSpan s_startLimit = TimeSpan.FromSeconds(60);

    public static Task<ServerProcess> StartAsync(ServerKind kind, SetupRow row, BenchPki pki, string work, string? baseline = null)
    {
        File.WriteAllText(Path.Combine(work, PageName), "ok\n");
        return kind switch
        {
            ServerKind.OpenSslTls => ServerProcess.StartAsync(kind, ServerProcess.DotnetHost(), Serve(row, pki, work, ServerProcess.ProgramAssembly(typeof(SipTlsServer)), "serve"), work, s_startLimit),
            ServerKind.Baseline => ServerProcess.StartAsync(
                kind, ServerProcess.DotnetHost(), Serve(row, pki, work, baseline ?? throw new ArgumentNullException(nameof(baseline)), "baseline"), work, s_startLimit),
            ServerKind.SslStream => ServerProcess.StartAsync(kind, ServerProcess.DotnetHost(), SslStream(row, pki), work, s_startLimit),
            _ => ServerProcess.StartAsync(kind, "openssl", OpenSslServer(row, pki), work, s_startLimit),
        };
    }

    /// <summary>serve's modparam lines for the row: Kamailio's tls_method and suite, session_cache for the resumed rows.</summary>
    public static string Modparams(SetupRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        string suite = row.Version == BenchTlsVersion.Tls13 ? "cipher_suites" : "cipher_list";
        string text =
            $"modparam(\"tls\", \"tls_method\", \"{(row.Version == BenchTlsVersion.Tls13 ? "TLSv1.3" : "TLSv1.2")}\")\n" +
            $"modparam(\"tls\", \"{suite}\", \"{TlsPinning.OpenSslSuite(row.Version, row.Key)}\")\n";
        if (row.Resumes)
        {
            // Kamailio's one switch: the server session cache, and with it tickets (as OpenSSL's defaults give them).
            text += "modparam(\"tls\", \"session_cache\", 1)\n";
        }

        if (row.Reads)
        {
            // A TLS 1.3 session is resumable only after a clean close; s_server -WWW ends its reply with close_notify.
            text += "modparam(\"tls\", \"send_close_notify\", 1)\n";
        }

        return text;
    }

    private static IEnumerable<string> Serve(SetupRow row, BenchPki pki, string work, string dll, string name)
    {
        string modparams = Path.Combine(work, $"{name}-{row.Id}.modparams");
        File.WriteAllText(modparams, Modparams(row));
        return
        [
            dll, "serve",
            "--listen", "127.0.0.1:0",
            "--certificate", pki.Certificate(row.Key),
            "--private-key", pki.PrivateKey(row.Key),
            "--modparams", modparams,
            "--data-dir", Path.Combine(work, name + "-data"),
            "--control-socket", Path.Combine(work, $"{name}-{row.Id}.sock"),

            // Warning, as in the OPTIONS suite, prints nothing per connection; but s_time -www sends an HTTP GET, which serve
            // reports as a warning per connection, so that row runs at error level.
            "--log-level", row.Reads ? "error" : "warning",
            "--max-connections-per-address", "0",
        ];
    }

    private static IEnumerable<string> SslStream(SetupRow row, BenchPki pki) =>
    [
        ServerProcess.ProgramAssembly(typeof(ServerProcess)), Program.SslStreamServerArgument, pki.Directory, TlsPinning.Argument(row.Version),
        row.Key == Benchmarks.ServerKey.P256 ? "ec" : "rsa", row.Resumes ? "resume" : "new",
    ];

    private static IEnumerable<string> OpenSslServer(SetupRow row, BenchPki pki)
    {
        var arguments = new List<string>
        {
            "s_server", "-accept", "127.0.0.1:0", "-quiet",
            "-cert", pki.Certificate(row.Key), "-key", pki.PrivateKey(row.Key),

            // -WWW: each connection answered (a file for a GET, nothing for a client that sends nothing) and closed, and
            // standard input never read (the default mode polls it).
            "-WWW",
            row.Version == BenchTlsVersion.Tls13 ? "-tls1_3" : "-tls1_2",
            row.Version == BenchTlsVersion.Tls13 ? "-ciphersuites" : "-cipher", TlsPinning.OpenSslSuite(row.Version, row.Key),
        };
        if (!row.Resumes)
        {
            // As serve with session_cache 0: no cache, no tickets, no TLS 1.3 tickets sent at all.
            arguments.AddRange(["-no_cache", "-no_ticket", "-num_tickets", "0"]);
        }

        return arguments;
    }

    public static string Name(ServerKind kind) => kind switch
    {
        ServerKind.OpenSslTls => "serve",
        ServerKind.SslStream => "SslStream",
        ServerKind.Baseline => "baseline",
        _ => "s_server",
    };

    public static string Seconds(double seconds) => seconds.ToString("F1", CultureInfo.InvariantCulture);
}
