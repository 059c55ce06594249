namespace OpenSslTls.Benchmarks;

/// <summary>The one protocol version a scenario pins on both sides.</summary>
public enum TlsVersion
{
    /// <summary>TLS 1.2 only.</summary>
    Tls12,

    /// <summary>TLS 1.3 only.</summary>
    Tls13,
}
