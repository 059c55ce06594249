using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

// Hand-written half of the generated opaque structs: which free/up-ref pair owns each type.

internal unsafe partial struct SSL_CTX : IOpenSslObject<SSL_CTX>
{
    public static NativeObjectKind Kind => NativeObjectKind.SslContext;
    public static int UpRef(SSL_CTX* pointer) => Ssl.SSL_CTX_up_ref(pointer);
    public static void Free(SSL_CTX* pointer) => Ssl.SSL_CTX_free(pointer);
}

internal unsafe partial struct SSL : IOpenSslObject<SSL>
{
    public static NativeObjectKind Kind => NativeObjectKind.Ssl;

    // One owner per SSL, never a second reference: ManagedExDataSlot.FreeSsl releases the SSL's managed states with
    // that owner's SSL_free, which would be too early if anything else still held the SSL.
    public static int UpRef(SSL* pointer) => throw new InvalidOperationException("an SSL has one owner: SSL_up_ref is never taken");
    public static void Free(SSL* pointer) => ManagedExDataSlot.FreeSsl(pointer);

    // Only the shim's connection_new hands over an SSL with its BIO already attached (the managed path attaches its
    // BIO after taking ownership), and that BIO carries the shim's state until SSL_free frees it.
    public static bool HoldsNativeIoState(SSL* pointer) => Ssl.SSL_get_rbio(pointer) != null;
}

internal unsafe partial struct SSL_SESSION : IOpenSslObject<SSL_SESSION>
{
    public static NativeObjectKind Kind => NativeObjectKind.SslSession;
    public static int UpRef(SSL_SESSION* pointer) => Ssl.SSL_SESSION_up_ref(pointer);
    public static void Free(SSL_SESSION* pointer) => Ssl.SSL_SESSION_free(pointer);
}

internal unsafe partial struct BIO : IOpenSslObject<BIO>
{
    public static NativeObjectKind Kind => NativeObjectKind.Bio;
    public static int UpRef(BIO* pointer) => Crypto.BIO_up_ref(pointer);
    public static void Free(BIO* pointer) => Crypto.BIO_free(pointer);
}

internal unsafe partial struct X509 : IOpenSslObject<X509>
{
    public static NativeObjectKind Kind => NativeObjectKind.X509;
    public static int UpRef(X509* pointer) => Crypto.X509_up_ref(pointer);
    public static void Free(X509* pointer) => Crypto.X509_free(pointer);
}

internal unsafe partial struct X509_CRL : IOpenSslObject<X509_CRL>
{
    public static NativeObjectKind Kind => NativeObjectKind.X509Crl;
    public static int UpRef(X509_CRL* pointer) => Crypto.X509_CRL_up_ref(pointer);
    public static void Free(X509_CRL* pointer) => Crypto.X509_CRL_free(pointer);
}

internal unsafe partial struct X509_STORE : IOpenSslObject<X509_STORE>
{
    public static NativeObjectKind Kind => NativeObjectKind.X509Store;
    public static int UpRef(X509_STORE* pointer) => Crypto.X509_STORE_up_ref(pointer);
    public static void Free(X509_STORE* pointer) => Crypto.X509_STORE_free(pointer);
}

internal unsafe partial struct EVP_PKEY : IOpenSslObject<EVP_PKEY>
{
    public static NativeObjectKind Kind => NativeObjectKind.EvpPKey;
    public static int UpRef(EVP_PKEY* pointer) => Crypto.EVP_PKEY_up_ref(pointer);
    public static void Free(EVP_PKEY* pointer) => Crypto.EVP_PKEY_free(pointer);
}

internal unsafe partial struct ENGINE : IOpenSslObject<ENGINE>
{
    public static NativeObjectKind Kind => NativeObjectKind.Engine;
    public static int UpRef(ENGINE* pointer) => Crypto.ENGINE_up_ref(pointer);

    // Structural reference only; a functional reference taken by ENGINE_init is released by ENGINE_finish separately.
    public static void Free(ENGINE* pointer) => Crypto.ENGINE_free(pointer);
}

// The three below have no *_up_ref in OpenSSL: each is owned by exactly one holder, so UpRef reports failure and
// OpenSslHandle<T>.AddReference never succeeds for them (nothing borrows them through a get0 accessor).

internal unsafe partial struct EVP_PKEY_CTX : IOpenSslObject<EVP_PKEY_CTX>
{
    public static NativeObjectKind Kind => NativeObjectKind.EvpPKeyContext;
    public static int UpRef(EVP_PKEY_CTX* pointer) => 0;
    public static void Free(EVP_PKEY_CTX* pointer) => Crypto.EVP_PKEY_CTX_free(pointer);
}

internal unsafe partial struct BIGNUM : IOpenSslObject<BIGNUM>
{
    public static NativeObjectKind Kind => NativeObjectKind.BigNumber;
    public static int UpRef(BIGNUM* pointer) => 0;
    public static void Free(BIGNUM* pointer) => Crypto.BN_free(pointer);
}

internal unsafe partial struct X509_EXTENSION : IOpenSslObject<X509_EXTENSION>
{
    public static NativeObjectKind Kind => NativeObjectKind.X509Extension;
    public static int UpRef(X509_EXTENSION* pointer) => 0;
    public static void Free(X509_EXTENSION* pointer) => Crypto.X509_EXTENSION_free(pointer);
}
