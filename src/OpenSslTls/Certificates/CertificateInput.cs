using OpenSslTls.Errors;
using OpenSslTls.Interop;

namespace OpenSslTls.Certificates;

/// <summary>
/// Reads certificate and key bytes whatever their encoding, decided by content, not by a file name: PEM (a
/// <c>-----BEGIN</c> line anywhere), else DER (an ASN.1 SEQUENCE): one X.509 certificate, a PKCS#12 bundle or a
/// private key. Failures are <see cref="CertificateInputException"/>s whose <see cref="Exception.Message"/> completes
/// a sentence that starts with the input's name ("'/etc/tls/cert.der' …", "certificateDer …"); callers add the
/// place (a profile's parameter, a factory's argument).
/// </summary>
internal static class CertificateInput
{
    private static ReadOnlySpan<byte> PemBegin => "-----BEGIN "u8;

    private static ReadOnlySpan<byte> PemPrivateKeyEnd => "PRIVATE KEY-----"u8;

    /// <summary>How <paramref name="data"/> is encoded.</summary>
    internal static CertificateEncoding Detect(ReadOnlySpan<byte> data)
    {
        if (data.IndexOf(PemBegin) >= 0)
        {
            return CertificateEncoding.Pem;
        }

        // DER: a SEQUENCE tag, then a length (short form, or long form with 1..4 length bytes).
        return data.Length >= 2 && data[0] == 0x30 && (data[1] < 0x80 || data[1] is >= 0x81 and <= 0x84)
            ? CertificateEncoding.Der
            : CertificateEncoding.Unknown;
    }

    /// <summary>Whether a PEM text also holds a private key block.</summary>
    internal static bool HasPemPrivateKey(ReadOnlySpan<byte> pem) => pem.IndexOf(PemPrivateKeyEnd) >= 0;

    /// <summary>
    /// The certificate (and chain, and key when a PKCS#12 bundle holds one) of <paramref name="data"/>. With
    /// <paramref name="declaredPkcs12"/> (a <c>.p12</c>/<c>.pfx</c> name or <c>FromPkcs12</c>), DER is read as PKCS#12
    /// only, so a failure says what is wrong with the bundle.
    /// </summary>
    internal static CertificateMaterial ReadCertificate(ReadOnlySpan<byte> data, string? password, bool declaredPkcs12)
    {
        CertificateEncoding encoding = Detect(data);
        if (encoding == CertificateEncoding.Pem && !declaredPkcs12)
        {
            return ReadPem(data);
        }

        if (encoding != CertificateEncoding.Der)
        {
            throw new CertificateInputException(declaredPkcs12
                ? "is not a PKCS#12 bundle (PKCS#12 is binary DER; this is " + (encoding == CertificateEncoding.Pem ? "PEM text)" : "neither PEM nor DER)")
                : data.IsEmpty ? "is empty" : "is neither PEM (no '-----BEGIN' line) nor DER (binary ASN.1)");
        }

        if (!declaredPkcs12 && CertificateMaterialReader.ReadDerCertificate(data) is { } certificate)
        {
            return new CertificateMaterial(certificate, [], key: null);
        }

        Pkcs12Outcome outcome = CertificateMaterialReader.ReadPkcs12(data, password, out CertificateMaterial? material, out OpenSslException? errors);
        return outcome switch
        {
            Pkcs12Outcome.Read => material!,
            Pkcs12Outcome.NotPkcs12 => throw new CertificateInputException(declaredPkcs12
                ? "is not a PKCS#12 bundle (its DER does not decode as PFX)"
                : "is DER but neither an X.509 certificate nor a PKCS#12 bundle"),
            Pkcs12Outcome.PasswordNeeded => throw new CertificateInputException("is a PKCS#12 bundle protected by a password, and no password is configured", errors),
            Pkcs12Outcome.WrongPassword => throw new CertificateInputException("is a PKCS#12 bundle and the password is wrong (its integrity check fails)", errors),
            Pkcs12Outcome.NoCertificate => throw new CertificateInputException("is a PKCS#12 bundle that holds no certificate"),
            _ => throw new CertificateInputException(
                "is a PKCS#12 bundle whose contents cannot be decrypted or decoded (an old bundle may use RC2 or 3DES, which OpenSSL 3 " +
                "offers only with its legacy provider: re-export it with 'openssl pkcs12 -export' and AES)", errors),
        };
    }

    /// <summary>The private key of <paramref name="data"/>: PEM, DER (PKCS#8, encrypted PKCS#8, PKCS#1, SEC1) or the key of a PKCS#12 bundle.</summary>
    internal static SafeEvpPKeyHandle ReadPrivateKey(ReadOnlySpan<byte> data, string? password)
    {
        switch (Detect(data))
        {
            case CertificateEncoding.Pem:
                try
                {
                    return CertificateMaterialReader.ReadPemPrivateKey(data, password);
                }
                catch (OpenSslException e)
                {
                    throw new CertificateInputException(DescribePemKeyFailure(password, e.Errors), e);
                }

            case CertificateEncoding.Der:
                if (CertificateMaterialReader.ReadDerPrivateKey(data, password, out bool asked, out OpenSslException? errors) is { } key)
                {
                    return key;
                }

                if (asked)
                {
                    throw new CertificateInputException(password is null
                        ? "is an encrypted private key and no password is configured"
                        : "is an encrypted private key and the password is wrong", errors);
                }

                if (CertificateMaterialReader.ReadPkcs12(data, password, out CertificateMaterial? bundle, out OpenSslException? bundleErrors) is var outcome
                    && outcome != Pkcs12Outcome.NotPkcs12)
                {
                    using (bundle)
                    {
                        return outcome switch
                        {
                            Pkcs12Outcome.Read when bundle!.Key is { } bundleKey => bundleKey.NewReference("PKCS#12 private key"),
                            Pkcs12Outcome.Read => throw new CertificateInputException("is a PKCS#12 bundle that holds no private key"),
                            Pkcs12Outcome.PasswordNeeded => throw new CertificateInputException("is a PKCS#12 bundle protected by a password, and no password is configured", bundleErrors),
                            Pkcs12Outcome.WrongPassword => throw new CertificateInputException("is a PKCS#12 bundle and the password is wrong (its integrity check fails)", bundleErrors),
                            _ => throw new CertificateInputException("is a PKCS#12 bundle whose private key cannot be decrypted or decoded", bundleErrors),
                        };
                    }
                }

                if (CertificateMaterialReader.ReadDerCertificate(data) is { } certificate)
                {
                    certificate.Dispose();
                    throw new CertificateInputException("holds a DER certificate, not a private key");
                }

                throw new CertificateInputException("is DER but not a private key (PKCS#8, PKCS#1 or SEC1) nor a PKCS#12 bundle", errors);

            default:
                throw new CertificateInputException(data.IsEmpty ? "is empty" : "is neither PEM (no '-----BEGIN' line) nor DER (binary ASN.1)");
        }
    }

    /// <summary>Checks that <paramref name="key"/> belongs to the material's certificate.</summary>
    internal static void EnsureKeyMatches(CertificateMaterial material, SafeEvpPKeyHandle key)
    {
        if (!CertificateMaterialReader.KeyMatches(material.Certificate, key))
        {
            throw new CertificateInputException($"holds a private key that does not match the certificate '{CertificateMaterialReader.SubjectOf(material.Certificate)}'");
        }
    }

    private static CertificateMaterial ReadPem(ReadOnlySpan<byte> data)
    {
        List<SafeX509Handle> certificates;
        try
        {
            certificates = CertificateMaterialReader.ReadPemCertificates(data);
        }
        catch (OpenSslException e)
        {
            throw new CertificateInputException("holds a damaged PEM certificate block", e);
        }

        if (certificates.Count == 0)
        {
            throw new CertificateInputException("is PEM but holds no certificate (no '-----BEGIN CERTIFICATE-----' block)");
        }

        return new CertificateMaterial(certificates[0], certificates[1..], key: null);
    }

    private static string DescribePemKeyFailure(string? password, IReadOnlyList<OpenSslError> errors)
    {
        bool Has(string text) => errors.Any(e => e.Reason.Contains(text, StringComparison.OrdinalIgnoreCase));
        bool decryptFailed = Has("decrypt");
        bool passwordFailed = Has("password") || Has("problems getting");
        if (password is null && (decryptFailed || passwordFailed))
        {
            return "is an encrypted private key and no password is configured";
        }

        if (decryptFailed)
        {
            return "is an encrypted private key and the password is wrong";
        }

        return "is PEM but holds no usable private key (no '-----BEGIN PRIVATE KEY-----' block OpenSSL can read)";
    }
}
