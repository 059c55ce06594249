using OpenSslTls.Interop;

namespace OpenSslTls.Certificates;

/// <summary>The key a <see cref="SelfSignedCertificateBuilder"/> generates.</summary>
public enum SelfSignedKeyAlgorithm
{
    /// <summary>ECDSA on NIST P-256 (prime256v1): small, fast, and accepted by every TLS 1.2/1.3 peer. The default.</summary>
    EcP256 = 0,

    /// <summary>RSA with a 2048-bit modulus, for peers that accept no ECDSA certificate.</summary>
    Rsa2048 = 1,
}
