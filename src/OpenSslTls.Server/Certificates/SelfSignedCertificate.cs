using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace OpenSslTls.SipEndpoint.Certificates;

/// <summary>
/// Makes the development certificate <c>serve</c> falls back to: CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1,
/// EC P-256 key, serverAuth, valid 825 days. It is made with the <c>openssl</c> command-line tool because the library
/// does not expose key or certificate generation yet; files are written owner-only (0600) and moved into place whole,
/// under a lock file, so two servers starting at once never pair one's key with the other's certificate.
/// </summary>
internal static class SelfSignedCertificate
{
    public const string CertificateFileName = "localhost.pem";
    public const string PrivateKeyFileName = "localhost.key";
    public const int ValidityDays = 825;

    private const UnixFileMode OwnerOnlyFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_lockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The <c>openssl</c> executable: <c>$OPENSSL_CLI</c> or <c>openssl</c> from PATH.</summary>
    public static string OpenSslExecutable =>
        Environment.GetEnvironmentVariable("OPENSSL_CLI") is { Length: > 0 } configured ? configured : "openssl";

    /// <summary>
    /// Returns the certificate and key in <paramref name="directory"/>, creating both when either is missing or the
    /// certificate expires within a day. Throws <see cref="InvalidOperationException"/> when <c>openssl</c> fails.
    /// </summary>
    public static SelfSignedFiles Ensure(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string certificate = Path.Combine(directory, CertificateFileName);
        string key = Path.Combine(directory, PrivateKeyFileName);
        if (IsUsable(certificate, key))
        {
            return new SelfSignedFiles(certificate, key, Created: false);
        }

        using FileStream held = AcquireLock(Path.Combine(directory, ".generate.lock"));
        if (IsUsable(certificate, key))
        {
            return new SelfSignedFiles(certificate, key, Created: false); // Another process made them while we waited.
        }

        string work = Path.Combine(directory, ".generate-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(work);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(work, DataDirectory.DirectoryMode);
            }

            string config = Path.Combine(work, "req.cnf");
            File.WriteAllText(config, RequestConfig, new UTF8Encoding(false));
            string newKey = Path.Combine(work, PrivateKeyFileName);
            string newCertificate = Path.Combine(work, CertificateFileName);
            Run(["req", "-x509", "-config", config, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                "-keyout", newKey, "-out", newCertificate, "-days", ValidityDays.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(newKey, OwnerOnlyFileMode);
                File.SetUnixFileMode(newCertificate, OwnerOnlyFileMode);
            }

            // Key first: a reader seeing the new certificate then always finds its key.
            File.Move(newKey, key, overwrite: true);
            File.Move(newCertificate, certificate, overwrite: true);
            return new SelfSignedFiles(certificate, key, Created: true);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private const string RequestConfig = """
        # Made by openssltls serve for its self-signed development certificate.
        [ req ]
        distinguished_name = dn
        prompt = no
        x509_extensions = ext

        [ dn ]
        CN = localhost

        [ ext ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
        subjectKeyIdentifier = hash

        """;

    private static bool IsUsable(string certificate, string key) =>
        File.Exists(certificate) && File.Exists(key)
        && Run(["x509", "-noout", "-checkend", "86400", "-in", certificate], throwOnFailure: false) == 0;

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

    private static int Run(IReadOnlyList<string> arguments, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo(OpenSslExecutable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run '{OpenSslExecutable}' to make the self-signed certificate (install openssl or pass --certificate and --private-key): {e.Message}", e);
        }

        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_commandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"'{OpenSslExecutable} {string.Join(' ', arguments)}' did not finish within {s_commandTimeout.TotalSeconds} s");
        }

        process.WaitForExit();
        if (throwOnFailure && process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{OpenSslExecutable} {string.Join(' ', arguments)}' failed (exit code {process.ExitCode}): {errors.Result.Trim()} {output.Result.Trim()}");
        }

        return process.ExitCode;
    }
}
