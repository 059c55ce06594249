using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using OpenSslTls.Tests.SipEndpoint;

namespace OpenSslTls.Tests.Wss;

/// <summary>
/// The real <c>openssltls serve</c> with a secure WebSocket listener on a free loopback port (and its TLS listener on
/// another), its self-signed certificate in a fresh data directory. Dispose kills it and removes the directory.
/// </summary>
internal sealed partial class WssServe : IDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _root;

    private WssServe(string root, EndpointProcess process, int port)
    {
        _root = root;
        Process = process;
        Port = port;
    }

    public EndpointProcess Process { get; }

    /// <summary>The WebSocket listener's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The self-signed certificate serve made (PEM), the trust anchor of every client here.</summary>
    public string Certificate => Path.Combine(_root, "data", "localhost.pem");

    public string ControlSocket => Path.Combine(_root, "data", "control.sock");

    public string Directory => _root;

    /// <summary>Starts serve with <c>--listen-wss 127.0.0.1:0</c> and <paramref name="extra"/>; waits until both listeners and the control socket are up.</summary>
    public static async Task<WssServe> StartAsync(params string[] extra)
    {
        string root = System.IO.Directory.CreateTempSubdirectory("openssltls-wss-").FullName;
        EndpointProcess process = EndpointProcess.Start(["serve", "--listen", "127.0.0.1:0", "--listen-wss", "127.0.0.1:0", "--data-dir", Path.Combine(root, "data"), .. extra]);
        try
        {
            Match listening = await process.WaitForAsync(WssListening(), Wait);
            await process.WaitForAsync(new Regex("running on OpenSSL"), Wait);
            return new WssServe(root, process, int.Parse(listening.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            process.Dispose();
            System.IO.Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>The certificate as an object (for pinning it in .NET clients).</summary>
    public X509Certificate2 LoadCertificate() => X509CertificateLoader.LoadCertificateFromFile(Certificate);

    /// <summary>Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo: what Chromium's --ignore-certificate-errors-spki-list takes.</summary>
    public string SpkiSha256()
    {
        using X509Certificate2 certificate = LoadCertificate();
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    public void Dispose()
    {
        Process.Dispose();
        try
        {
            System.IO.Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a killed child may still hold a file.
        }
    }

    [GeneratedRegex(@"listening for SIP over secure WebSocket on 127\.0\.0\.1:(\d+)")]
    private static partial Regex WssListening();
}
