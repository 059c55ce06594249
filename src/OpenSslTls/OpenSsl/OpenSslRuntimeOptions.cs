using Microsoft.Extensions.Logging;

namespace OpenSslTls.OpenSsl;

/// <summary>How the library finds and accepts the OpenSSL it runs on. Applied once, by <see cref="OpenSslRuntime.Initialize"/>.</summary>
public sealed class OpenSslRuntimeOptions
{
    /// <summary>An explicit libssl path; else <c>OPENSSLTLS_LIBSSL</c>, else the platform name (<c>libssl.so.3</c>, …).</summary>
    public string? LibSslPath { get; set; }

    /// <summary>An explicit libcrypto path; else <c>OPENSSLTLS_LIBCRYPTO</c>, else beside libssl, else the platform name.</summary>
    public string? LibCryptoPath { get; set; }

    /// <summary>
    /// Kamailio's <c>tls_force_run</c>: start even when the loaded OpenSSL is not one the bindings support (another
    /// major, or a minor older than the bindings'; a warning is logged). Off by default: such a version refuses to start.
    /// </summary>
    public bool ForceRun { get; set; }

    /// <summary>Where start-up warnings go; none when <see langword="null"/>.</summary>
    public ILogger? Logger { get; set; }
}
