using System.Diagnostics;
using System.Text.RegularExpressions;
using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// <c>tls_force_run</c> watched where it matters: <c>openssltls serve</c> started on an OpenSSL whose version the
/// bindings do not support. The process loads, through <c>OPENSSLTLS_LIBCRYPTO</c>, a libcrypto of our own that
/// answers <c>OpenSSL_version_num()</c> with 4.0.0 and leaves every other symbol to the real libcrypto it depends on
/// (the library resolves its functions in that handle, which searches its dependencies; an LD_PRELOAD'ed symbol
/// would not be seen there). Built with gcc once per test run.
/// </summary>
public sealed partial class ForceRunProcessTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);
    private static readonly Lazy<string?> s_libCrypto4 = new(BuildLibCrypto4);
    private readonly string _root = Directory.CreateTempSubdirectory("openssltls-force-run-").FullName;

    [SkippableFact]
    public void Without_tls_force_run_serve_refuses_another_OpenSSL_major_and_says_why()
    {
        string library = RequireLibCrypto4();

        using EndpointProcess serve = EndpointProcess.Start(WithLibCrypto(library), Serve(forceRun: "0"));
        int exit = serve.WaitForExit(s_wait);

        Assert.True(exit == 1, $"exit {exit}:{Environment.NewLine}{serve.Output}");
        Assert.Contains("The loaded OpenSSL is 4.0.0 but OpenSslTls was generated from OpenSSL 3.0", serve.Output, StringComparison.Ordinal);
        Assert.Contains("set tls_force_run to start anyway", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(ListeningLine(), serve.Output);
    }

    [SkippableFact]
    public async Task With_tls_force_run_serve_starts_on_another_OpenSSL_major_warns_and_serves()
    {
        string library = RequireLibCrypto4();

        using EndpointProcess serve = EndpointProcess.Start(WithLibCrypto(library), Serve(forceRun: "1"));
        string port = (await serve.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value;

        Assert.Contains("tls_force_run: starting on OpenSSL 4.0.0 although the bindings were generated from OpenSSL 3.0", serve.Output, StringComparison.Ordinal);
        (int exit, string output) = EndpointProcess.Run(s_wait, "send", $"127.0.0.1:{port}", "--count", "1");
        Assert.True(exit == 0, output);
        Assert.Contains("1 of 1 OPTIONS answered with 2xx", output, StringComparison.Ordinal);
        serve.Terminate();
        Assert.Equal(0, serve.WaitForExit(s_wait));
    }

    [SkippableTheory]
    [InlineData("0", 1, "The loaded OpenSSL is 4.0.0 but OpenSslTls was generated from OpenSSL 3.0")]
    [InlineData("1", 0, "configuration OK")]
    public void Check_applies_the_version_gate_and_tls_force_run_as_serve_does(string forceRun, int expectedExit, string expected)
    {
        string library = RequireLibCrypto4();
        string modparams = Serve(forceRun)[2];

        using EndpointProcess check = EndpointProcess.Start(WithLibCrypto(library), "check", modparams);
        int exit = check.WaitForExit(s_wait);

        Assert.True(exit == expectedExit, $"exit {exit}:{Environment.NewLine}{check.Output}");
        Assert.Contains(expected, check.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", check.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static Dictionary<string, string> WithLibCrypto(string library) => new() { [NativeLibraryLoader.LibCryptoVariable] = library };

    private string[] Serve(string forceRun)
    {
        string modparams = Path.Combine(_root, "tls.modparams");
        File.WriteAllText(modparams, $"""
            modparam("tls", "tls_force_run", {forceRun})
            modparam("tls", "certificate", "{TestPki.Instance.ServerEcCertificate}")
            modparam("tls", "private_key", "{TestPki.Instance.ServerEcKey}")
            """);
        return ["serve", "--modparams", modparams, "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_root, "data")];
    }

    private static string RequireLibCrypto4()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the stand-in libcrypto is an ELF shared object");
        string? library = s_libCrypto4.Value;
        Prerequisites.Require(library is not null, "gcc could not build the stand-in libcrypto (apt-get install gcc libc6-dev)");
        return library!;
    }

    /// <summary>libcrypto-4.so in a temporary directory, or null without gcc.</summary>
    private static string? BuildLibCrypto4()
    {
        string directory = Directory.CreateTempSubdirectory("openssltls-libcrypto4-").FullName;
        string source = Path.Combine(directory, "libcrypto4.c");
        string library = Path.Combine(directory, "libcrypto-4.so");
        File.WriteAllText(source, """
            /* OpenSSL 4.0.0 as OpenSSL_version_num() encodes it (0xMNN00PP0); the rest is the real libcrypto.so.3. */
            unsigned long OpenSSL_version_num(void) { return 0x40000000UL; }
            """);
        var start = new ProcessStartInfo("gcc")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // -Wl,--no-as-needed: keep libcrypto.so.3 as a dependency although nothing here calls into it.
        foreach (string argument in new[] { "-shared", "-fPIC", "-o", library, source, "-Wl,--no-as-needed", "-l:libcrypto.so.3" })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process gcc = Process.Start(start)!;
            string errors = gcc.StandardError.ReadToEnd();
            gcc.StandardOutput.ReadToEnd();
            gcc.WaitForExit();
            return gcc.ExitCode == 0 ? library : throw new InvalidOperationException($"gcc failed: {errors}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // No gcc.
        }
    }

    [GeneratedRegex(@"listening for SIP over TLS on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
