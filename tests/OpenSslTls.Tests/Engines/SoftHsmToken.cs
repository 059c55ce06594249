using System.Runtime.InteropServices;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Interop;

namespace OpenSslTls.Tests.Engines;

/// <summary>
/// SoftHSM2 tokens made once per test process by <c>softhsm-token.sh</c> in a temporary directory, each key pair
/// generated inside its token and given a certificate from the test root CA. This process's <c>SOFTHSM2_CONF</c>
/// points at that directory (never at the system configuration). When the Debian packages <c>softhsm2</c>,
/// <c>libengine-pkcs11-openssl</c> or <c>opensc</c> are missing, <see cref="MissingPackages"/> says which, and the
/// tests skip (fail under ./build.sh test, which installs them: <see cref="Prerequisites"/>).
/// <para>
/// libp11's pkcs11 engine lives once per process and keeps its logins and its last PIN until the process exits, so
/// tests that are about PINs use tokens no other test logs in to: <see cref="Label"/> (EC and RSA keys) serves the
/// handshake tests; <see cref="PinCheckLabel"/> is never logged in to successfully (wrong and missing PINs);
/// <see cref="PasswordLabel"/> is logged in to only with its PIN given as private_key_password. Each has its own PIN.
/// </para>
/// </summary>
public sealed partial class SoftHsmToken : IDisposable
{
    public const string Label = "OpenSslTlsTest";
    public const string PinCheckLabel = "OpenSslTlsPinCheck";
    public const string PasswordLabel = "OpenSslTlsPassword";

    /// <summary>The user PIN of <see cref="Label"/>: distinctive, so a test can prove it appears in no message or log line.</summary>
    public const string Pin = "7391-pin-hsm-6682";

    /// <summary>The user PIN of <see cref="PinCheckLabel"/>, which no test uses.</summary>
    public const string PinCheckPin = "5820-pin-chk-1179";

    /// <summary>The user PIN of <see cref="PasswordLabel"/>.</summary>
    public const string PasswordPin = "2468-pin-pwd-9753";

    /// <summary>A wrong PIN for every token, just as distinctive.</summary>
    public const string WrongPin = "0000-bad-pin-4242";

    /// <summary>Every PIN above, for checks that none leaks.</summary>
    public static IReadOnlyList<string> AllPins { get; } = [Pin, PinCheckPin, PasswordPin, WrongPin];

    public const string EcKeyLabel = "ec-key";
    public const string RsaKeyLabel = "rsa-key";

    public const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>Skips the running test when a package is missing (fails instead under ./build.sh test: <see cref="Prerequisites"/>).</summary>
    public void RequirePackages() => Prerequisites.Require(MissingPackages is null, MissingPackages ?? string.Empty);

    public SoftHsmToken()
    {
        EnginePath = FindEngine();
        MissingPackages = FindMissingPackages(EnginePath);
        Directory = System.IO.Directory.CreateTempSubdirectory("OpenSslTls-SoftHsm-").FullName;
        if (MissingPackages is not null)
        {
            return;
        }

        string script = Path.Combine(RepositoryPaths.Root, "tests", "OpenSslTls.Tests", "Engines", "softhsm-token.sh");
        var start = new System.Diagnostics.ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            script, Directory, TestPki.Instance.RootCaCertificate, TestPki.Instance.RootCaKey,
            $"{Label}={Pin}:{EcKeyLabel},{RsaKeyLabel}", $"{PinCheckLabel}={PinCheckPin}:{EcKeyLabel}", $"{PasswordLabel}={PasswordPin}:{EcKeyLabel}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SOFTHSM2_MODULE"] = ModulePath;
        start.Environment["PKCS11_ENGINE"] = EnginePath;
        using var process = System.Diagnostics.Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"softhsm-token.sh failed: {stdout.Result}{stderr.Result}");
        }

        // SoftHSM reads SOFTHSM2_CONF from the native environment when the engine initialises it in this process;
        // .NET keeps its own copy for child processes, so both are set.
        ConfigFile = Path.Combine(Directory, "softhsm2.conf");
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", ConfigFile);
        if (SetNativeEnvironment("SOFTHSM2_CONF", ConfigFile, 1) != 0)
        {
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed");
        }
    }

    /// <summary>Null when the token exists; otherwise why the engine tests cannot run here.</summary>
    public string? MissingPackages { get; }

    public string Directory { get; }

    public string? ConfigFile { get; }

    /// <summary>The pkcs11 engine's shared object (libengine-pkcs11-openssl).</summary>
    public string EnginePath { get; }

    public string EcCertificate => Certificate(Label, EcKeyLabel);

    public string RsaCertificate => Certificate(Label, RsaKeyLabel);

    /// <summary>The certificate issued for a key of a token.</summary>
    public string Certificate(string tokenLabel, string keyLabel) => Path.Combine(Directory, $"{tokenLabel}.{keyLabel}.pem");

    /// <summary>The RFC 7512 URI of a private key in a token, as the pkcs11 engine takes it.</summary>
    public static string KeyUri(string keyLabel, string tokenLabel = Label) => $"pkcs11:token={tokenLabel};object={keyLabel};type=private";

    /// <summary>
    /// Writes an engine_config file for the pkcs11 engine into <see cref="Directory"/>: Kamailio's layout
    /// (<c>kamailio = …</c>) or OpenSSL's (<c>openssl_conf = …</c>), with <paramref name="pin"/> as its PIN control (or none).
    /// </summary>
    public string WriteEngineConfig(string? pin, bool kamailioLayout = true, string sectionEntry = "pkcs11", string? extraLines = null)
    {
        string top = kamailioLayout ? "kamailio = kamailio_init" : "openssl_conf = openssl_init";
        string init = kamailioLayout ? "kamailio_init" : "openssl_init";
        string path = Path.Combine(Directory, $"engine-{Guid.NewGuid():N}.cnf");
        File.WriteAllText(path, $"""
            {top}

            [{init}]
            engines = engine_section

            [engine_section]
            {sectionEntry} = pkcs11_section

            [pkcs11_section]
            engine_id = pkcs11
            dynamic_path = {EnginePath}
            MODULE_PATH = {ModulePath}
            {(pin is null ? string.Empty : "PIN = " + pin)}
            {extraLines ?? string.Empty}
            init = 1

            """);
        return path;
    }

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("OPENSSLTLS_KEEP_TEST_PKI") == "1")
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindEngine()
    {
        foreach (string root in new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib" })
        {
            string candidate = Path.Combine(root, "engines-3", "pkcs11.so");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so";
    }

    private static string? FindMissingPackages(string enginePath)
    {
        var missing = new List<string>();
        if (!File.Exists(ModulePath) || !OnPath("softhsm2-util"))
        {
            missing.Add("softhsm2");
        }

        if (!File.Exists(enginePath))
        {
            missing.Add("libengine-pkcs11-openssl");
        }

        if (!OnPath("pkcs11-tool"))
        {
            missing.Add("opensc");
        }

        return missing.Count == 0
            ? null
            : $"SoftHSM2 token tests need the Debian packages {string.Join(", ", missing)} (apt-get install softhsm2 libengine-pkcs11-openssl opensc; CI installs them)";
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetNativeEnvironment(string name, string value, int overwrite);
}
