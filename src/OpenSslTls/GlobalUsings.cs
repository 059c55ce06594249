// One safe-handle type serves every owning native object; these aliases give each its conventional name.
global using SafeBigNumberHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.BIGNUM>;
global using SafeBioHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.BIO>;
global using SafeEngineHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.ENGINE>;
global using SafeEvpPKeyContextHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.EVP_PKEY_CTX>;
global using SafeEvpPKeyHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.EVP_PKEY>;
global using SafeSslContextHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.SSL_CTX>;
global using SafeSslHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.SSL>;
global using SafeSslSessionHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.SSL_SESSION>;
global using SafeX509CrlHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.X509_CRL>;
global using SafeX509ExtensionHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.X509_EXTENSION>;
global using SafeX509Handle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.X509>;
global using SafeX509StoreHandle = OpenSslTls.Native.OpenSslHandle<OpenSslTls.Native.X509_STORE>;
