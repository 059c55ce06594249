namespace OpenSslTls.Interop;

/// <summary>
/// A certificate read into OpenSSL objects: the certificate, the chain that follows it (leaf's issuer first) and, from
/// a PKCS#12 bundle or an <c>X509Certificate2</c>, its private key. Owns one reference to each; disposing frees them.
/// </summary>
internal sealed class CertificateMaterial : IDisposable
{
    internal CertificateMaterial(SafeX509Handle certificate, List<SafeX509Handle> chain, SafeEvpPKeyHandle? key)
    {
        Certificate = certificate;
        Chain = chain;
        Key = key;
    }

    internal SafeX509Handle Certificate { get; }

    internal List<SafeX509Handle> Chain { get; }

    /// <summary>The private key that came with the certificate, or null.</summary>
    internal SafeEvpPKeyHandle? Key { get; private set; }

    /// <summary>Replaces the key (the previous one is freed).</summary>
    internal void SetKey(SafeEvpPKeyHandle? key)
    {
        Key?.Dispose();
        Key = key;
    }

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (SafeX509Handle link in Chain)
        {
            link.Dispose();
        }

        Key?.Dispose();
    }
}
