using System.Net.Security;
using System.Security.Authentication;
using OpenSslTls.Profiles;

namespace OpenSslTls.SocketBench.Servers;

/// <summary>
/// What each version pins on both servers, spelled for each: one protocol version and one cipher suite, the suite
/// OpenSSL's defaults negotiate anyway with this client and the ECDSA P-256 certificate. Pinning it on the servers
/// makes a difference in defaults between serve and SslStream impossible rather than unlikely.
/// </summary>
internal static class TlsPinning
{
    public static string Label(BenchTlsVersion version) => version == BenchTlsVersion.Tls13 ? "TLS 1.3" : "TLS 1.2";

    /// <summary>The part of a row id naming the version (for <c>--only</c>).</summary>
    public static string Id(BenchTlsVersion version) => version == BenchTlsVersion.Tls13 ? "tls13" : "tls12";

    /// <summary>The command-line spelling the SslStream server child takes.</summary>
    public static string Argument(BenchTlsVersion version) => version == BenchTlsVersion.Tls13 ? "1.3" : "1.2";

    public static BenchTlsVersion Parse(string argument) => argument switch
    {
        "1.3" => BenchTlsVersion.Tls13,
        "1.2" => BenchTlsVersion.Tls12,
        _ => throw new ArgumentException($"TLS version '{argument}': use 1.3 or 1.2", nameof(argument)),
    };

    /// <summary>The library's method (the load generator's client profile).</summary>
    public static TlsMethod Method(BenchTlsVersion version) => version == BenchTlsVersion.Tls13 ? TlsMethod.TLSv1_3 : TlsMethod.TLSv1_2;

    /// <summary>The lines of the modparam file serve reads (Kamailio tls_method; cipher_suites for 1.3, cipher_list for 1.2).</summary>
    public static string Modparams(BenchTlsVersion version) => version == BenchTlsVersion.Tls13
        ? "modparam(\"tls\", \"tls_method\", \"TLSv1.3\")\nmodparam(\"tls\", \"cipher_suites\", \"TLS_AES_256_GCM_SHA384\")\n"
        : "modparam(\"tls\", \"tls_method\", \"TLSv1.2\")\nmodparam(\"tls\", \"cipher_list\", \"ECDHE-ECDSA-AES256-GCM-SHA384\")\n";

    public static SslProtocols Protocols(BenchTlsVersion version) => version == BenchTlsVersion.Tls13 ? SslProtocols.Tls13 : SslProtocols.Tls12;

    public static TlsCipherSuite Suite(BenchTlsVersion version, Benchmarks.ServerKey key = Benchmarks.ServerKey.P256) => version == BenchTlsVersion.Tls13
        ? TlsCipherSuite.TLS_AES_256_GCM_SHA384
        : key == Benchmarks.ServerKey.P256 ? TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 : TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;

    /// <summary>The OpenSSL name of the pinned suite (TLS 1.3 cipher_suites, TLS 1.2 cipher_list).</summary>
    public static string OpenSslSuite(BenchTlsVersion version, Benchmarks.ServerKey key) => version == BenchTlsVersion.Tls13
        ? "TLS_AES_256_GCM_SHA384"
        : key == Benchmarks.ServerKey.P256 ? "ECDHE-ECDSA-AES256-GCM-SHA384" : "ECDHE-RSA-AES256-GCM-SHA384";
}
