using System.Net;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Configuration;

namespace OpenSslTls.Tests.Runtime;

/// <summary>A temporary tls.cfg for module tests, rewritten at will to exercise reloads.</summary>
public sealed class TlsConfigFile : IDisposable
{
    public TlsConfigFile()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"openssltls-module-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "tls.cfg");
    }

    public static IPEndPoint Local { get; } = new(IPAddress.Loopback, 5061);

    public static IPEndPoint Remote { get; } = new(IPAddress.Loopback, 40000);

    public string Directory { get; }

    public string Path { get; }

    /// <summary>A [server:default] serving <paramref name="certificate"/> and a [client:default] that verifies nothing.</summary>
    public void WriteServer(string certificate, string key) => File.WriteAllText(Path, $"""
        [server:default]
        method = TLSv1.2+
        certificate = {certificate}
        private_key = {key}

        [client:default]
        method = TLSv1.2+
        verify_certificate = no
        """);

    public void WriteDefault() => WriteServer(TestPki.Instance.ServerEcCertificate, TestPki.Instance.ServerEcKey);

    public TlsModuleOptions Options(Action<TlsModuleOptions>? change = null)
    {
        var options = new TlsModuleOptions { Config = Path, MainConfigDirectory = Directory };
        change?.Invoke(options);
        return options;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
