using OpenSslTls.Interop;

namespace OpenSslTls.Benchmarks;

/// <summary>The server certificate's key.</summary>
public enum ServerKey
{
    /// <summary>ECDSA on P-256.</summary>
    P256,

    /// <summary>RSA, 2048 bits.</summary>
    Rsa2048,
}
