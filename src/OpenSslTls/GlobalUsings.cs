// One safe-handle type serves every owning native object; these aliases give each its conventional name.
global using SafeBigNumberHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.BIGNUM>;
global using SafeBioHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.BIO>;
global using SafeEngineHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.ENGINE>;
global using SafeEvpPKeyContextHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.EVP_PKEY_CTX>;
global using SafeEvpPKeyHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.EVP_PKEY>;
global using SafeSslContextHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.SSL_CTX>;
global using SafeSslHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.SSL>;
global using SafeSslSessionHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.SSL_SESSION>;
global using SafeX509CrlHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.X509_CRL>;
global using SafeX509ExtensionHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.X509_EXTENSION>;
global using SafeX509Handle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.X509>;
global using SafeX509StoreHandle = OpenSslTls.Interop.OpenSslHandle<OpenSslTls.Interop.X509_STORE>;
