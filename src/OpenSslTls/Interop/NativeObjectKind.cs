namespace OpenSslTls.Interop;

/// <summary>The owning native OpenSSL object types the library wraps in safe handles.</summary>
internal enum NativeObjectKind
{
    SslContext,
    Ssl,
    Bio,
    X509,
    EvpPKey,
    X509Store,
    X509Crl,
    SslSession,
    Engine,
    EvpPKeyContext,
    BigNumber,
    X509Extension,
}
