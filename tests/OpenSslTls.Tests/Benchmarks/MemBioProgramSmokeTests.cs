using System.Globalization;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Benchmarks;

/// <summary>
/// The memory-BIO C program (native/bench/membio.c) in every arrangement docs/benchmarks.md measures with it, and the
/// interleaving driver bench/c-bio-ab.py: each runs a record message and a handshake end to end (membio checks every
/// message arrives whole and every handshake completes, and exits non-zero otherwise). Tiny samples; no figure is judged.
/// </summary>
public sealed class MemBioProgramSmokeTests
{
    [SkippableFact]
    public void Every_arrangement_of_the_memory_BIO_program_moves_records_and_completes_handshakes()
    {
        using var work = Prepare(out string membio, out string pki);
        foreach (string[] variant in (string[][])[[], ["--bio", "caller"], ["--bio", "pair"], ["--clear-errors", "--read-loop"], ["--bio", "caller", "--peek-errors", "--read-loop", "--read-ahead"]])
        {
            (int exit, string output, string errors) = ProcessRunner.Run(
                membio,
                ["--pki", pki, "--samples", "1", "--sample-ms", "20", "--warmup-ms", "10", "--connections", "2000", .. variant,
                    "record-chacha20-1400", "handshake-tls13-p256", "resume-tls12-sessionid"],
                TimeSpan.FromMinutes(1));
            string label = variant.Length == 0 ? "(default)" : string.Join(' ', variant);
            Assert.True(exit == 0, $"{label}: exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(["handshake-tls13-p256", "resume-tls12-sessionid", "record-chacha20-1400"], lines.Select(line => line.Split(',')[0]));
            foreach (string line in lines)
            {
                string[] fields = line.Split(',');
                Assert.True(double.Parse(fields[1], CultureInfo.InvariantCulture) > 0, $"{label}: {line}");
            }
        }
    }

    [SkippableFact]
    public void The_error_queue_cost_mode_prints_a_figure_per_call()
    {
        using var work = Prepare(out string membio, out _);
        (int exit, string output, string errors) = ProcessRunner.Run(membio, ["--error-queue-cost", "1000"], TimeSpan.FromMinutes(1));
        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.Matches(@"^ERR_clear_error [0-9.]+ ns, ERR_peek_error [0-9.]+ ns, SSL_has_pending [0-9.]+ ns, SSL_get_error [0-9.]+ ns$", line));
    }

    [SkippableFact]
    public void The_interleaving_driver_prints_a_ratio_per_variant()
    {
        using var work = Prepare(out string membio, out string pki);
        // Looked up first: starting a program that is not there throws instead of returning an exit code.
        Prerequisites.Require(
            (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(directory => File.Exists(Path.Combine(directory, "python3"))),
            "python3 not on PATH (bench/c-bio-ab.py; apt-get install python3)");
        (int exit, string output, string errors) = ProcessRunner.Run(
            "python3",
            [Path.Combine(RepositoryPaths.Root, "bench", "c-bio-ab.py"), "--pki", pki, "--rounds", "2", "--sample-ms", "20", "--warmup-ms", "10", "--cpu", "none",
                "--variant", "mem=" + membio, "--variant", $"caller={membio} --bio caller", "record-aes128gcm-512"],
            TimeSpan.FromMinutes(1));
        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{Environment.NewLine}{errors}");
        Assert.Contains("record-aes128gcm-512 mem: ", output, StringComparison.Ordinal);
        Assert.Contains("record-aes128gcm-512 caller: ", output, StringComparison.Ordinal);
        Assert.Contains("/mem round by round median ", output, StringComparison.Ordinal);
        Assert.Contains("# load average at start: ", output, StringComparison.Ordinal);
    }

    /// <summary>Builds native/bench into a temporary directory and makes a PKI for "localhost" there.</summary>
    private static WorkDirectory Prepare(out string membio, out string pki)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the C programs and their CPU clock are Linux-only");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available (the PKI is made with it)");
        var work = new WorkDirectory();
        try
        {
            var make = ProcessRunner.Run("make", ["-s", "-C", Path.Combine(RepositoryPaths.Native, "bench"), "OUT=" + work.Path], TimeSpan.FromMinutes(2));
            Assert.True(make.ExitCode == 0, "building native/bench failed:\n" + make.StandardOutput + make.StandardError);
            membio = Path.Combine(work.Path, "membio");
            pki = Path.Combine(work.Path, "pki");
            Directory.CreateDirectory(pki);
            File.WriteAllText(Path.Combine(pki, "leaf.ext"), "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost\n");
            foreach (string[] command in (string[][])[
                ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-keyout", "root.key", "-out", "root.pem",
                    "-subj", "/CN=membio smoke root", "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
                ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-keyout", "ec.key", "-out", "ec.csr", "-subj", "/CN=localhost"],
                ["x509", "-req", "-in", "ec.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "1", "-days", "2", "-extfile", "leaf.ext", "-out", "ec.pem"]])
            {
                OpenSslCliResult result = OpenSslCli.Run(command, pki);
                Assert.True(result.ExitCode == 0, $"openssl {string.Join(' ', command)}: {result.StandardError}");
            }

            return work;
        }
        catch
        {
            work.Dispose();
            throw;
        }
    }

    private sealed class WorkDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("openssltls-membio-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
