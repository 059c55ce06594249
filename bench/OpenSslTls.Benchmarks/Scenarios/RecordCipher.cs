namespace OpenSslTls.Benchmarks;

/// <summary>The TLS 1.3 cipher suite of a record-path scenario, chosen on both sides.</summary>
public enum RecordCipher
{
    /// <summary><c>TLS_AES_128_GCM_SHA256</c>.</summary>
    Aes128Gcm,

    /// <summary><c>TLS_CHACHA20_POLY1305_SHA256</c>.</summary>
    ChaCha20Poly1305,
}
