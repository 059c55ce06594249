using System.Diagnostics;
using OpenSslTls.Certificates;
using OpenSslTls.Connections;
using OpenSslTls.Errors;

namespace OpenSslTls.SipEndpoint.Certificates;

/// <summary>
/// Makes the development certificate <c>serve</c> falls back to: CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1,
/// EC P-256 key, serverAuth, valid 825 days. It is made in process by the library's
/// <see cref="SelfSignedCertificateBuilder"/> (no <c>openssl</c> tool is needed); both files are written owner-only
/// (0600) and each is moved into place whole, key first, under a lock file, so two servers starting at once never pair
/// one's key with the other's certificate.
/// </summary>
internal static class SelfSignedCertificate
{
    public const string CertificateFileName = "localhost.pem";
    public const string PrivateKeyFileName = "localhost.key";
    public const int ValidityDays = 825;

    private static readonly TimeSpan s_lockTimeout = TimeSpan.FromSeconds(30);

    // Renewed this long before it expires, so a server is never started on a certificate about to lapse.
    private static readonly TimeSpan s_renewBefore = TimeSpan.FromDays(1);

    /// <summary>
    /// Returns the certificate and key in <paramref name="directory"/>, creating both when either is missing, the
    /// certificate cannot be read, or it expires within a day. Throws <see cref="OpenSslException"/> when OpenSSL cannot
    /// make them and <see cref="IOException"/>/<see cref="UnauthorizedAccessException"/> when they cannot be written.
    /// </summary>
    public static SelfSignedFiles Ensure(string directory, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        clock ??= TimeProvider.System;
        string certificate = Path.Combine(directory, CertificateFileName);
        string key = Path.Combine(directory, PrivateKeyFileName);
        if (IsUsable(certificate, key, clock))
        {
            return new SelfSignedFiles(certificate, key, Created: false);
        }

        using FileStream held = AcquireLock(Path.Combine(directory, ".generate.lock"));
        if (IsUsable(certificate, key, clock))
        {
            return new SelfSignedFiles(certificate, key, Created: false); // Another process made them while we waited.
        }

        // WriteFiles writes each file through a 0600 temporary file renamed over the target, key first: a reader
        // seeing the new certificate always finds its key.
        SelfSignedCertificateBuilder.ForLocalhost().WithValidityDays(ValidityDays).Create().WriteFiles(certificate, key);
        return new SelfSignedFiles(certificate, key, Created: true);
    }

    private static bool IsUsable(string certificate, string key, TimeProvider clock)
    {
        if (!File.Exists(certificate) || !File.Exists(key))
        {
            return false;
        }

        try
        {
            return TlsCertificateInfo.FromPem(File.ReadAllText(certificate)).NotAfter > clock.GetUtcNow() + s_renewBefore;
        }
        catch (Exception e) when (e is OpenSslException or ArgumentException or IOException)
        {
            return false; // Unreadable or damaged: made anew, as a missing one.
        }
    }

    private static FileStream AcquireLock(string path)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None takes an advisory lock on Unix; it is released when the stream closes, even on a crash.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < s_lockTimeout)
            {
                Thread.Sleep(100);
            }
        }
    }
}
