using System.Diagnostics;
using OpenSslTls.Interop;

namespace OpenSslTls.Benchmarks.Infrastructure;

/// <summary>
/// The certificates every benchmark uses, made with the <c>openssl</c> CLI in a fresh temporary directory: a root CA
/// (EC P-256) and two server leaves for <c>localhost</c> signed by it, one EC P-256 and one RSA-2048. The file names
/// are the ones the C harness expects (<c>root.pem</c>, <c>ec.pem</c>, <c>ec.key</c>, <c>rsa.pem</c>, <c>rsa.key</c>).
/// Servers present the leaf alone; clients verify it against the root.
/// </summary>
internal sealed class BenchPki : IDisposable
{
    public const string ServerName = "localhost";

    private readonly bool _owned;

    private BenchPki(string directory, bool owned)
    {
        Directory = directory;
        _owned = owned;
    }

    public string Directory { get; }

    public string RootCertificate => Path.Combine(Directory, "root.pem");

    public string Certificate(ServerKey key) => Path.Combine(Directory, key == ServerKey.P256 ? "ec.pem" : "rsa.pem");

    public string PrivateKey(ServerKey key) => Path.Combine(Directory, key == ServerKey.P256 ? "ec.key" : "rsa.key");

    /// <summary>Creates the PKI; the directory is deleted on <see cref="Dispose"/>.</summary>
    public static BenchPki Create()
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("OpenSslTls-Bench-").FullName;
        var pki = new BenchPki(directory, owned: true);
        try
        {
            pki.Build();
            return pki;
        }
        catch
        {
            pki.Dispose();
            throw;
        }
    }

    /// <summary>Uses a PKI that already exists (child processes get the parent's directory).</summary>
    public static BenchPki Open(string directory) => new(directory, owned: false);

    public void Dispose()
    {
        if (_owned && System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private void Build()
    {
        File.WriteAllText(Path.Combine(Directory, "leaf.ext"),
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n");
        Openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-keyout", "root.key", "-out", "root.pem",
            "-subj", "/CN=OpenSslTls Bench Root", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
        Leaf("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
        Leaf("rsa", ["-newkey", "rsa:2048"]);
    }

    private void Leaf(string name, string[] keySpec)
    {
        Openssl(["req", "-new", .. keySpec, "-noenc", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + ServerName]);
        Openssl("x509", "-req", "-in", name + ".csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", name == "ec" ? "1" : "2",
            "-days", "30", "-extfile", "leaf.ext", "-out", name + ".pem");
    }

    private void Openssl(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start openssl");
        Task<string> error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        }
    }
}
