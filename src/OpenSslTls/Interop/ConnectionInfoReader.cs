using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>Reads the facts of an established <c>SSL</c> and of certificates as raw values (called once per connection, lazily).</summary>
internal static unsafe class ConnectionInfoReader
{
    internal static NativeConnectionFacts Read(SSL* ssl, string? sentServerName, bool isServer)
    {
        SSL_CIPHER* cipher = Ssl.SSL_get_current_cipher(ssl);
        byte* description = stackalloc byte[256];
        long verify = (long)Ssl.SSL_get_verify_result(ssl);

        // SSL_get1_peer_certificate returns a new reference; the handle frees it.
        X509* peerPointer = Ssl.SSL_get1_peer_certificate(ssl);
        using SafeX509Handle? peer = peerPointer == null ? null : SafeX509Handle.TakeOwnership(peerPointer, "SSL_get1_peer_certificate");

        // get0: borrowed from the SSL, valid while it lives.
        X509* local = Ssl.SSL_get_certificate(ssl);

        string? serverName = isServer
            ? Utf8Z.ToString(Ssl.SSL_get_servername(ssl, Ssl.TLSEXT_NAMETYPE_host_name))
            : sentServerName;

        return new NativeConnectionFacts(
            Protocol: Utf8Z.ToString(Ssl.SSL_get_version(ssl)) ?? "unknown",
            CipherName: cipher == null ? "(none)" : Utf8Z.ToString(Ssl.SSL_CIPHER_get_name(cipher)) ?? "(none)",
            CipherBits: cipher == null ? 0 : Ssl.SSL_CIPHER_get_bits(cipher, null),
            CipherDescription: cipher == null ? string.Empty : (Utf8Z.ToString(Ssl.SSL_CIPHER_description(cipher, (sbyte*)description, 256)) ?? string.Empty).TrimEnd('\n'),
            ServerName: serverName,
            SessionReused: Ssl.SSL_session_reused(ssl) == 1,
            VerifyResult: verify,
            VerifyResultText: Utf8Z.ToString(Crypto.X509_verify_cert_error_string((nint)verify)) ?? verify.ToString(CultureInfo.InvariantCulture),
            PeerCertificate: peer is null ? null : ReadCertificate(peer.Pointer),
            LocalCertificate: local == null ? null : ReadCertificate(local),
            VerifiedChain: ReadChain(Ssl.SSL_get0_verified_chain(ssl)))
        {
            Group = ReadGroup(ssl),
            CipherSuiteId = cipher == null ? null : Ssl.SSL_CIPHER_get_protocol_id(cipher),
            ApplicationProtocol = ApplicationProtocolNegotiation.Negotiated(ssl),
        };
    }

    /// <summary>
    /// The negotiated group's name: an NID (or <c>TLSEXT_nid_unknown | id</c> for a provider's group) that
    /// SSL_group_to_name turns into the name; 0 when no (EC)DHE ran, e.g. TLS 1.2 RSA key exchange.
    /// </summary>
    private static string? ReadGroup(SSL* ssl)
    {
        int group = Ssl.SSL_get_negotiated_group(ssl);
        return group == 0 ? null : Utf8Z.ToString(Ssl.SSL_group_to_name(ssl, group)) ?? group.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>OpenSSL's text for a verify result, with the CRL rule spelled out where it is the cause.</summary>
    internal static string VerifyText(long code)
    {
        string text = Utf8Z.ToString(Crypto.X509_verify_cert_error_string((nint)code)) ?? "unknown";
        string described = $"{text} (X509_V_ERR {code.ToString(CultureInfo.InvariantCulture)})";
        return code == Crypto.X509_V_ERR_UNABLE_TO_GET_CRL
            ? described + "; with 'crl' set, OpenSSL checks the whole chain, so the CRL file must hold a current CRL from every CA of the chain"
            : described;
    }

    internal static NativeCertificateFacts ReadCertificate(X509* certificate)
    {
        string notBefore = TimeText(Crypto.X509_get0_notBefore(certificate));
        string notAfter = TimeText(Crypto.X509_get0_notAfter(certificate));
        var names = new AlternativeNames();
        ReadAlternativeNames(certificate, names);
        return new NativeCertificateFacts(
            Subject: ReadName(Crypto.X509_get_subject_name(certificate)),
            Issuer: ReadName(Crypto.X509_get_issuer_name(certificate)),
            SerialNumber: SerialText(Crypto.X509_get_serialNumber(certificate)),
            Version: (int)Crypto.X509_get_version(certificate),
            NotBeforeText: notBefore,
            NotAfterText: notAfter,
            DnsNames: names.Dns,
            Uris: names.Uris,
            Emails: names.Emails,
            IpAddresses: names.Ips,
            OtherAlternativeNames: names.Others,
            Pem: Pem(certificate));
    }

    /// <summary>The first certificate of <paramref name="pem"/>; throws <c>OpenSslException</c> when there is none.</summary>
    internal static NativeCertificateFacts ReadPem(string pem)
    {
        ErrorQueue.Clear();
        byte[] bytes = Encoding.UTF8.GetBytes(pem);
        fixed (byte* data = bytes)
        {
            // BIO_new_mem_buf reads the managed buffer in place (read-only); both handles are freed before it unpins.
            using SafeBioHandle bio = SafeBioHandle.TakeOwnership(Crypto.BIO_new_mem_buf(data, bytes.Length), "BIO_new_mem_buf");

            // PEM_read_bio_X509 returns a new certificate (one reference), which the handle takes.
            using SafeX509Handle certificate = SafeX509Handle.TakeOwnership(
                Crypto.PEM_read_bio_X509(bio.Pointer, null, null, null), "reading a PEM certificate (PEM_read_bio_X509)");
            return ReadCertificate(certificate.Pointer);
        }
    }

    internal static string Pem(X509* certificate)
    {
        BIO* bio = NewMemoryBio();
        return TakeText(bio, Crypto.PEM_write_bio_X509(bio, certificate) == 1);
    }

    private static List<string> ReadChain(stack_st_X509* chain)
    {
        var pems = new List<string>();
        if (chain == null)
        {
            return pems;
        }

        var stack = (OPENSSL_STACK*)chain;
        int count = Crypto.OPENSSL_sk_num(stack);
        for (int i = 0; i < count; i++)
        {
            pems.Add(Pem((X509*)Crypto.OPENSSL_sk_value(stack, i)));
        }

        return pems;
    }

    private static NativeNameFacts ReadName(X509_NAME* name)
    {
        byte* line = stackalloc byte[4096];
        return new NativeNameFacts(
            Line: Utf8Z.ToString(Crypto.X509_NAME_oneline(name, (sbyte*)line, 4096)) ?? string.Empty,
            CommonName: Component(name, Crypto.NID_commonName),
            Locality: Component(name, Crypto.NID_localityName),
            Country: Component(name, Crypto.NID_countryName),
            State: Component(name, Crypto.NID_stateOrProvinceName),
            Organization: Component(name, Crypto.NID_organizationName),
            OrganizationalUnit: Component(name, Crypto.NID_organizationalUnitName),
            UserId: Component(name, Crypto.NID_userId));
    }

    private static string? Component(X509_NAME* name, int nid)
    {
        int index = Crypto.X509_NAME_get_index_by_NID(name, nid, -1);
        if (index < 0)
        {
            return null;
        }

        ASN1_STRING* data = Crypto.X509_NAME_ENTRY_get_data(Crypto.X509_NAME_get_entry(name, index));
        byte* utf8 = null;
        int length = Crypto.ASN1_STRING_to_UTF8(&utf8, data);
        if (length < 0)
        {
            ErrorQueue.Clear();
            return null;
        }

        try
        {
            return System.Text.Encoding.UTF8.GetString(utf8, length);
        }
        finally
        {
            FreeOpenSsl(utf8);
        }
    }

    /// <summary>
    /// Only what the RFC 5922 name rule needs from the subjectAltNames, without reading the rest of the certificate
    /// (every full handshake of a verifying client runs it): whether there is a DNS name, and the <c>sip:</c> URIs
    /// (null when there are none, the usual case, so nothing is allocated).
    /// </summary>
    internal static List<string>? ReadSipUris(X509* certificate, out bool hasDnsName)
    {
        hasDnsName = false;

        // X509_get_ext_d2i returns a new GENERAL_NAMES stack (or null when the extension is absent); freed below.
        var stack = (OPENSSL_STACK*)Crypto.X509_get_ext_d2i(certificate, Crypto.NID_subject_alt_name, null, null);
        if (stack == null)
        {
            ErrorQueue.Clear();
            return null;
        }

        List<string>? uris = null;
        try
        {
            int count = Crypto.OPENSSL_sk_num(stack);
            for (int i = 0; i < count; i++)
            {
                var name = (GENERAL_NAME*)Crypto.OPENSSL_sk_value(stack, i);
                int type = 0;
                void* value = name == null ? null : Crypto.GENERAL_NAME_get0_value(name, &type);
                if (type == Crypto.GEN_DNS)
                {
                    hasDnsName = true;
                }
                else if (type == Crypto.GEN_URI && StringBytes((ASN1_STRING*)value) is { Length: > 4 } uri && IsSipScheme(uri))
                {
                    (uris ??= []).Add(System.Text.Encoding.UTF8.GetString(uri));
                }
            }
        }
        finally
        {
            Crypto.GENERAL_NAMES_free((GENERAL_NAMES*)stack);
        }

        return uris;
    }

    private static bool IsSipScheme(ReadOnlySpan<byte> uri) =>
        (uri[0] | 0x20) == 's' && (uri[1] | 0x20) == 'i' && (uri[2] | 0x20) == 'p' && uri[3] == ':';

    private static void ReadAlternativeNames(X509* certificate, AlternativeNames names)
    {
        // X509_get_ext_d2i returns a new GENERAL_NAMES stack (or null when the extension is absent); freed below.
        var stack = (OPENSSL_STACK*)Crypto.X509_get_ext_d2i(certificate, Crypto.NID_subject_alt_name, null, null);
        if (stack == null)
        {
            ErrorQueue.Clear();
            return;
        }

        try
        {
            int count = Crypto.OPENSSL_sk_num(stack);
            for (int i = 0; i < count; i++)
            {
                var name = (GENERAL_NAME*)Crypto.OPENSSL_sk_value(stack, i);
                if (name == null)
                {
                    continue;
                }

                int type = 0;
                void* value = Crypto.GENERAL_NAME_get0_value(name, &type);

                // The type decides what the value points at: only DNS, URI, email and IP are ASN1_STRINGs read here.
                // otherName (e.g. a Microsoft UPN), dirName, RID, x400Address and ediPartyName are other structures,
                // whose first bytes read as a "length" would be pointer bits; they are reported by type name only.
                switch (type)
                {
                    case Crypto.GEN_DNS:
                        names.Dns.Add(StringText((ASN1_STRING*)value));
                        break;
                    case Crypto.GEN_URI:
                        names.Uris.Add(StringText((ASN1_STRING*)value));
                        break;
                    case Crypto.GEN_EMAIL:
                        names.Emails.Add(StringText((ASN1_STRING*)value));
                        break;
                    case Crypto.GEN_IPADD:
                        ReadOnlySpan<byte> address = StringBytes((ASN1_STRING*)value);
                        if (address.Length is 4 or 16)
                        {
                            names.Ips.Add(new IPAddress(address).ToString());
                        }
                        else
                        {
                            names.Others.Add("IP Address (invalid length)");
                        }

                        break;
                    default:
                        names.Others.Add(GeneralNameTypeName(type));
                        break;
                }
            }
        }
        finally
        {
            Crypto.GENERAL_NAMES_free((GENERAL_NAMES*)stack);
        }
    }

    /// <summary>The GENERAL_NAME type as OpenSSL's <c>X509V3_EXT_print</c> names it.</summary>
    internal static string GeneralNameTypeName(int type) => type switch
    {
        Crypto.GEN_OTHERNAME => "othername",
        Crypto.GEN_X400 => "X400Name",
        Crypto.GEN_DIRNAME => "DirName",
        Crypto.GEN_EDIPARTY => "EdiPartyName",
        Crypto.GEN_RID => "Registered ID",
        _ => "unknown type " + type.ToString(CultureInfo.InvariantCulture),
    };

    private static ReadOnlySpan<byte> StringBytes(ASN1_STRING* value)
    {
        if (value == null)
        {
            return default;
        }

        int length = Crypto.ASN1_STRING_length(value);
        byte* data = Crypto.ASN1_STRING_get0_data(value);
        return length <= 0 || data == null ? default : new ReadOnlySpan<byte>(data, length);
    }

    private static string StringText(ASN1_STRING* value) => System.Text.Encoding.UTF8.GetString(StringBytes(value));

    /// <summary>The subjectAltName entries of one certificate, by kind.</summary>
    private sealed class AlternativeNames
    {
        public List<string> Dns { get; } = [];

        public List<string> Uris { get; } = [];

        public List<string> Emails { get; } = [];

        public List<string> Ips { get; } = [];

        public List<string> Others { get; } = [];
    }

    private static string SerialText(ASN1_INTEGER* serial)
    {
        BIGNUM* number = Crypto.ASN1_INTEGER_to_BN(serial, null);
        if (number == null)
        {
            ErrorQueue.Clear();
            return string.Empty;
        }

        try
        {
            sbyte* text = Crypto.BN_bn2dec(number);
            try
            {
                return Utf8Z.ToString(text) ?? string.Empty;
            }
            finally
            {
                FreeOpenSsl(text);
            }
        }
        finally
        {
            Crypto.BN_free(number);
        }
    }

    private static string TimeText(ASN1_TIME* time)
    {
        BIO* bio = NewMemoryBio();
        return TakeText(bio, Crypto.ASN1_TIME_print(bio, time) == 1);
    }

    private static BIO* NewMemoryBio()
    {
        BIO* bio = Crypto.BIO_new(Crypto.BIO_s_mem());
        return bio != null ? bio : throw ErrorQueue.Drain("BIO_new(BIO_s_mem)");
    }

    /// <summary>Returns what was written to a memory BIO (empty when <paramref name="written"/> is false) and frees the BIO.</summary>
    private static string TakeText(BIO* bio, bool written)
    {
        try
        {
            if (!written)
            {
                ErrorQueue.Clear();
                return string.Empty;
            }

            sbyte* data = null;
            nint length = Crypto.BIO_get_mem_data(bio, &data);
            return length <= 0 ? string.Empty : Marshal.PtrToStringUTF8((IntPtr)data, (int)length);
        }
        finally
        {
            Crypto.BIO_free(bio);
        }
    }

    private static void FreeOpenSsl(void* pointer)
    {
        if (pointer != null)
        {
            // OPENSSL_free(p) is CRYPTO_free(p, OPENSSL_FILE, OPENSSL_LINE).
            Crypto.CRYPTO_free(pointer, null, 0);
        }
    }
}
