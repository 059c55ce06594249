namespace OpenSslTls.Interop;

/// <summary>What reading a PKCS#12 bundle came to (<see cref="CertificateMaterialReader.ReadPkcs12"/>).</summary>
internal enum Pkcs12Outcome
{
    /// <summary>Read: certificate, chain and key.</summary>
    Read,

    /// <summary>The bytes are not a PKCS#12 structure.</summary>
    NotPkcs12,

    /// <summary>The bundle is protected by a password and none was given.</summary>
    PasswordNeeded,

    /// <summary>The password does not verify the bundle's integrity MAC.</summary>
    WrongPassword,

    /// <summary>The password verified, but the contents could not be decrypted or decoded (e.g. a legacy cipher such as RC2).</summary>
    Unreadable,

    /// <summary>The bundle holds no certificate.</summary>
    NoCertificate,
}
