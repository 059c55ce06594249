namespace OpenSslTls.SocketBench.Servers;

/// <summary>Which server a child process runs.</summary>
internal enum ServerKind
{
    /// <summary><c>openssltls serve</c> itself (OpenSslTls.Server.dll).</summary>
    OpenSslTls,

    /// <summary>The same SIP loop on <see cref="System.Net.Security.SslStream"/> (this program's <c>--sslstream-server</c> mode).</summary>
    SslStream,

    /// <summary><c>openssl s_server</c>, the third-party reference of the connection set-up suite (one connection at a time).</summary>
    OpenSslServer,

    /// <summary>Another build of <c>openssltls serve</c> (<c>--baseline-serve DLL</c>), run beside the current one for before/after figures.</summary>
    Baseline,
}
