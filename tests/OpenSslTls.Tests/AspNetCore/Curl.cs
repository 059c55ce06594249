using System.Text.Json;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.AspNetCore;

/// <summary>The real <c>curl</c> against a <see cref="KestrelTestApp"/>: trusting the test PKI's root, localhost resolved to 127.0.0.1.</summary>
internal static class Curl
{
    public static bool Present => File.Exists("/usr/bin/curl");

    public static void Require() => Prerequisites.Require(Present, "curl is not installed (Debian package curl)");

    /// <summary>Runs curl on https://<paramref name="host"/>:port<paramref name="path"/>; the exit code, the body, and curl's stderr.</summary>
    public static (int ExitCode, string Body, string Error) Get(int port, string path = "/", string host = TestPki.ServerName, params string[] extra)
    {
        var arguments = new List<string>
        {
            "-sS", "--max-time", "20",
            "--cacert", TestPki.Instance.RootCaCertificate,
            "--resolve", $"{host}:{port}:127.0.0.1",
        };
        arguments.AddRange(extra);
        arguments.Add($"https://{host}:{port}{path}");
        (int code, string output, string error) = ProcessRunner.Run("curl", arguments, TimeSpan.FromSeconds(30));
        return (code, output, error);
    }

    /// <summary>GET / and the app's echo of the connection; fails the test with curl's error when it did not succeed.</summary>
    public static KestrelTestApp.Echo Echo(int port, string host = TestPki.ServerName, params string[] extra)
    {
        (int code, string body, string error) = Get(port, "/", host, extra);
        Assert.True(code == 0, $"curl exited {code}: {error}");
        return JsonSerializer.Deserialize<KestrelTestApp.Echo>(body) ?? throw new InvalidOperationException("empty echo: " + body);
    }

    /// <summary>curl's arguments for the test PKI's client certificate.</summary>
    public static string[] WithClientCertificate(params string[] extra) =>
        ["--cert", TestPki.Instance.ClientCertificate, "--key", TestPki.Instance.ClientKey, .. extra];
}
