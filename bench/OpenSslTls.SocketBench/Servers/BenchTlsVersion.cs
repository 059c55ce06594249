namespace OpenSslTls.SocketBench.Servers;

/// <summary>The protocol version both servers and the load generator are pinned to for one set of runs.</summary>
internal enum BenchTlsVersion
{
    /// <summary>TLS 1.3 only, TLS_AES_256_GCM_SHA384.</summary>
    Tls13,

    /// <summary>TLS 1.2 only, ECDHE-ECDSA-AES256-GCM-SHA384.</summary>
    Tls12,
}
