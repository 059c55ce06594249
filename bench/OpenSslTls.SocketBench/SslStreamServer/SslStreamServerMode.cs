using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using OpenSslTls.Benchmarks;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.SslStreamServer;

/// <summary>
/// <c>--sslstream-server PKI-DIR 1.3|1.2 [ec|rsa] [resume]</c>: the child process that runs <see cref="SslStreamSipServer"/> on
/// 127.0.0.1 port 0 with the bench PKI's ECDSA P-256 leaf (or the RSA-2048 one), pinned to the version and suite serve is
/// given, until SIGTERM; <c>resume</c> turns TLS resumption on (the connection set-up suite's resumed rows).
/// On SIGUSR1 it prints its live managed heap (<see cref="ManagedHeapLine"/>).
/// </summary>
internal static class SslStreamServerMode
{
    /// <summary>The start of the line printed on SIGUSR1: <c>managed-heap SEQUENCE LIVE-BYTES</c>.</summary>
    public const string ManagedHeapLine = "managed-heap ";

    private static int s_reports;

    public static async Task<int> RunAsync(string pkiDirectory, BenchTlsVersion version, ServerKey key = ServerKey.P256, bool resume = false)
    {
        using BenchPki pki = BenchPki.Open(pkiDirectory);
        using X509Certificate2 certificate = LoadCertificate(pki, key);
        var options = new SslServerAuthenticationOptions
        {
            // The leaf alone, as serve sends it; offline so building the context fetches nothing.
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, [], offline: true),
            EnabledSslProtocols = TlsPinning.Protocols(version),
            CipherSuitesPolicy = new CipherSuitesPolicy([TlsPinning.Suite(version, key)]),
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,

            // As serve's default session_cache off: no resumption. SslStream's only such setting; it still sends two
            // TLS 1.3 NewSessionTickets per handshake, which serve does not (measured; see docs/benchmarks.md).
            // The resumed rows of the set-up suite turn it on, as serve gets session_cache 1 there.
            AllowTlsResume = resume,
        };

        using var shutdown = new ShutdownSignal();

        // What serve answers to ctl core.memory, for the idle-connection bench: live managed bytes after a full GC.
        using var report = PosixSignalRegistration.Create((PosixSignal)Libc.SigUsr1, context =>
        {
            context.Cancel = true;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long live = GC.GetTotalMemory(forceFullCollection: true);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ManagedHeapLine}{Interlocked.Increment(ref s_reports)} {live}"));
        });
        SslStreamSipServer server = SslStreamSipServer.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
        await Console.Out.WriteLineAsync($"sslstream server listening on {server.LocalEndpoint}").ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM: stop like serve does.
        }

        await server.StopAsync().ConfigureAwait(false);
        return 0;
    }

    private static X509Certificate2 LoadCertificate(BenchPki pki, ServerKey key)
    {
        using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(pki.Certificate(key), pki.PrivateKey(key));

        // Through PKCS#12, as the other SslStream benchmarks do: an ephemeral PEM key is not what a server's store gives.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
