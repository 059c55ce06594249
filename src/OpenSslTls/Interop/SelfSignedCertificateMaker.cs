using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Certificates;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// Generates a key pair and a self-signed X.509 v3 certificate for it in process (what <c>openssl req -x509 -newkey</c>
/// does), for <see cref="SelfSignedCertificateBuilder"/>. Arguments arrive validated; every OpenSSL failure becomes an
/// <see cref="OpenSslException"/> through <see cref="ErrorQueue"/>.
/// </summary>
internal static unsafe class SelfSignedCertificateMaker
{
    // 16 random bytes: well under RFC 5280's 20-octet limit, and far too many to collide.
    private const int SerialBytes = 16;

    internal static SelfSignedCertificatePem Create(
        string commonName,
        IReadOnlyList<string> dnsNames,
        IReadOnlyList<IPAddress> ipAddresses,
        int validityDays,
        SelfSignedKeyAlgorithm algorithm)
    {
        ErrorQueue.Clear();
        using SafeEvpPKeyHandle key = GenerateKey(algorithm);
        using SafeX509Handle certificate = SafeX509Handle.TakeOwnership(Crypto.X509_new(), "X509_new");
        X509* x509 = certificate.Pointer;

        Check(Crypto.X509_set_version(x509, Crypto.X509_VERSION_3) == 1, "X509_set_version");
        SetRandomSerial(x509);

        // getm: the certificate's own time fields, adjusted in place (nothing changes owner).
        Check(Crypto.X509_gmtime_adj(Crypto.X509_getm_notBefore(x509), 0) != null, "X509_gmtime_adj(notBefore)");
        Check(Crypto.X509_time_adj_ex(Crypto.X509_getm_notAfter(x509), validityDays, 0, null) != null, "X509_time_adj_ex(notAfter)");

        // get0: the certificate's own (empty) subject name, filled in place.
        X509_NAME* subject = Crypto.X509_get_subject_name(x509);
        fixed (byte* field = "CN\0"u8)
        fixed (byte* value = Utf8Z.From(commonName))
        {
            Check(Crypto.X509_NAME_add_entry_by_txt(subject, (sbyte*)field, Crypto.MBSTRING_UTF8, value, -1, -1, 0) == 1, "X509_NAME_add_entry_by_txt(CN)");
        }

        // set1 semantics: the issuer name is copied from the subject; the certificate keeps owning both.
        Check(Crypto.X509_set_issuer_name(x509, subject) == 1, "X509_set_issuer_name");

        // X509_set_pubkey encodes the public key into the certificate and takes its own reference (up-ref) on the
        // key; our handle keeps its reference and frees it on dispose.
        Check(Crypto.X509_set_pubkey(x509, key.Pointer) == 1, "X509_set_pubkey");

        // Issuer and subject are the same certificate; no configuration database (the values below are literal, not
        // references to config sections), which is what X509V3_set_ctx_nodb sets.
        X509V3_CTX context = default;
        Crypto.X509V3_set_ctx(&context, x509, x509, null, null, 0);
        context.db = null;
        AddExtension(x509, &context, Crypto.NID_basic_constraints, "critical,CA:FALSE");
        AddExtension(x509, &context, Crypto.NID_key_usage,
            algorithm == SelfSignedKeyAlgorithm.Rsa2048 ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
        AddExtension(x509, &context, Crypto.NID_ext_key_usage, "serverAuth");
        AddExtension(x509, &context, Crypto.NID_subject_key_identifier, "hash");
        if (dnsNames.Count + ipAddresses.Count > 0)
        {
            AddExtension(x509, &context, Crypto.NID_subject_alt_name, AlternativeNames(dnsNames, ipAddresses));
        }

        // X509_sign returns the signature's length, 0 on failure.
        Check(Crypto.X509_sign(x509, key.Pointer, Crypto.EVP_sha256()) > 0, "X509_sign");

        TlsCertificateInfo info = TlsCertificateInfo.FromFacts(ConnectionInfoReader.ReadCertificate(x509));
        string keyPem = PrivateKeyPem(key.Pointer);
        return new SelfSignedCertificatePem(info.Pem, keyPem, info);
    }

    /// <summary>
    /// The subjectAltName value in OpenSSL's configuration syntax. Safe to join: DNS names were validated to letters,
    /// digits, hyphens, dots and a leading <c>*</c>, and IP addresses are formatted here, so no value can contain the
    /// <c>,</c> or <c>:</c>-prefixed syntax of another entry (IPv6's colons follow the <c>IP:</c> tag, as OpenSSL expects).
    /// </summary>
    internal static string AlternativeNames(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses)
    {
        var value = new StringBuilder();
        foreach (string name in dnsNames)
        {
            value.Append(value.Length == 0 ? string.Empty : ",").Append("DNS:").Append(name);
        }

        foreach (IPAddress address in ipAddresses)
        {
            value.Append(value.Length == 0 ? string.Empty : ",").Append("IP:").Append(address.ToString());
        }

        return value.ToString();
    }

    private static SafeEvpPKeyHandle GenerateKey(SelfSignedKeyAlgorithm algorithm)
    {
        ReadOnlySpan<byte> name = algorithm == SelfSignedKeyAlgorithm.Rsa2048 ? "RSA\0"u8 : "EC\0"u8;
        fixed (byte* algorithmName = name)
        {
            using SafeEvpPKeyContextHandle context = SafeEvpPKeyContextHandle.TakeOwnership(
                Crypto.EVP_PKEY_CTX_new_from_name(null, (sbyte*)algorithmName, null), "EVP_PKEY_CTX_new_from_name");
            Check(Crypto.EVP_PKEY_keygen_init(context.Pointer) == 1, "EVP_PKEY_keygen_init");
            if (algorithm == SelfSignedKeyAlgorithm.Rsa2048)
            {
                Check(Crypto.EVP_PKEY_CTX_set_rsa_keygen_bits(context.Pointer, 2048) > 0, "EVP_PKEY_CTX_set_rsa_keygen_bits");
            }
            else
            {
                fixed (byte* group = "P-256\0"u8)
                {
                    Check(Crypto.EVP_PKEY_CTX_set_group_name(context.Pointer, (sbyte*)group) > 0, "EVP_PKEY_CTX_set_group_name");
                }
            }

            // EVP_PKEY_generate stores a new key (one reference) in 'generated'; the handle takes that reference.
            EVP_PKEY* generated = null;
            Check(Crypto.EVP_PKEY_generate(context.Pointer, &generated) == 1, "EVP_PKEY_generate");
            return SafeEvpPKeyHandle.TakeOwnership(generated, "EVP_PKEY_generate");
        }
    }

    private static void SetRandomSerial(X509* x509)
    {
        byte* bytes = stackalloc byte[SerialBytes];
        Check(Crypto.RAND_bytes(bytes, SerialBytes) == 1, "RAND_bytes");

        // Clear the top bit (a DER INTEGER with it set is negative) and set the next one, so the serial is positive,
        // never zero and always 16 bytes long.
        bytes[0] = (byte)((bytes[0] & 0x7F) | 0x40);
        using SafeBigNumberHandle number = SafeBigNumberHandle.TakeOwnership(Crypto.BN_bin2bn(bytes, SerialBytes, null), "BN_bin2bn");

        // With a non-null target BN_to_ASN1_INTEGER rewrites that integer in place; X509_get_serialNumber is the
        // certificate's own serial (get0, mutable), so nothing changes owner.
        Check(Crypto.BN_to_ASN1_INTEGER(number.Pointer, Crypto.X509_get_serialNumber(x509)) != null, "BN_to_ASN1_INTEGER");
    }

    private static void AddExtension(X509* x509, X509V3_CTX* context, int nid, string value)
    {
        fixed (byte* text = Utf8Z.From(value))
        {
            // X509V3_EXT_conf_nid returns a new extension we own; X509_add_ext adds a copy of it, so ours is freed here.
            string operation = string.Create(CultureInfo.InvariantCulture, $"X509V3_EXT_conf_nid({Utf8Z.ToString(Crypto.OBJ_nid2sn(nid))}, {value})");
            using SafeX509ExtensionHandle extension = SafeX509ExtensionHandle.TakeOwnership(
                Crypto.X509V3_EXT_conf_nid(null, context, nid, (sbyte*)text), operation);
            Check(Crypto.X509_add_ext(x509, extension.Pointer, -1) == 1, "X509_add_ext");
        }
    }

    private static string PrivateKeyPem(EVP_PKEY* key)
    {
        // Unencrypted PKCS#8 ("BEGIN PRIVATE KEY"), as openssl req -noenc writes it; the file mode protects it.
        using SafeBioHandle bio = SafeBioHandle.TakeOwnership(Crypto.BIO_new(Crypto.BIO_s_mem()), "BIO_new(BIO_s_mem)");
        Check(Crypto.PEM_write_bio_PrivateKey(bio.Pointer, key, null, null, 0, null, null) == 1, "PEM_write_bio_PrivateKey");
        sbyte* data = null;
        nint length = Crypto.BIO_get_mem_data(bio.Pointer, &data);
        string pem = length <= 0 ? string.Empty : Marshal.PtrToStringUTF8((IntPtr)data, (int)length);

        // The memory BIO held the key in clear; wipe it before BIO_free returns the buffer to the allocator.
        if (length > 0)
        {
            new Span<byte>(data, (int)length).Clear();
        }

        return pem;
    }

    private static void Check(bool succeeded, string operation)
    {
        if (!succeeded)
        {
            throw ErrorQueue.Drain(operation);
        }
    }
}
