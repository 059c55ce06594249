using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// The peer-certificate check: on clients the expected name (RFC 5922: DNS and <c>sip:</c> URI subjectAltNames, the
/// CN only when there are neither; an IP address against IP subjectAltNames), on both roles the caller's validation
/// callback. Every <c>SSL_CTX</c> gets an application verify callback (<see cref="Install"/>) that wraps
/// <c>X509_verify_cert</c>; libssl calls the one of the SSL's current context, so an SNI switch keeps it. The expected name goes into the SSL's verify parameters, where the callback reads it;
/// a connection with a validator attaches its <see cref="State"/> to its <c>SSL</c> (ex_data through a GCHandle
/// released with the SSL, as <see cref="ServerNameSwitch"/> does), and a failed name check attaches one for its
/// message. Without a name and a state the callback is exactly <c>X509_verify_cert</c>. Exceptions go to <see cref="NativeCallback"/> and refuse.
/// </summary>
internal static unsafe class PeerCertificateCheck
{
    /// <summary>The callback name a validator's exception is reported under.</summary>
    internal const string CallbackName = "certificate validation callback";

    private static readonly ManagedExDataSlot Slot = new(Crypto.CRYPTO_EX_INDEX_SSL, "the certificate check");
    private static readonly SearchValues<char> Ipv4Characters = SearchValues.Create("0123456789.");

    /// <summary>What one connection checks, and what the check found (read after a failed handshake).</summary>
    internal sealed class State(string? expectedName, bool expectedIsAddress, IPeerCertificateValidator? validator)
    {
        /// <summary>The host name or IP address the certificate must match; null when only the validator runs.</summary>
        public string? ExpectedName { get; } = expectedName;

        public bool ExpectedIsAddress { get; } = expectedIsAddress;

        public IPeerCertificateValidator? Validator { get; } = validator;

        /// <summary>After a name mismatch: the expected name and the certificate's names, for the failure message.</summary>
        public string? MismatchDetail { get; set; }

        /// <summary>True when the validator refused the certificate.</summary>
        public bool RefusedByValidator { get; set; }
    }

    /// <summary>Installs the verify callback on a context of either role (it only adds work for connections with state).</summary>
    internal static void Install(SSL_CTX* ctx) => Ssl.SSL_CTX_set_cert_verify_callback(ctx, &Verify, null);

    /// <summary>
    /// Sets up <paramref name="ssl"/> (a client): when it verifies the server and <paramref name="expectedName"/> is
    /// known, the name goes into its verify parameters (<c>SSL_set1_host</c> with no partial wildcards, or the IP
    /// address); with a <paramref name="validator"/>, the chain is verified whatever the profile's mode so the
    /// validator decides. Returns the attached state, or null when there is nothing to check.
    /// </summary>
    internal static State? Attach(SSL* ssl, string? expectedName, IPeerCertificateValidator? validator)
    {
        bool verifies = Ssl.SSL_get_verify_mode(ssl) != Ssl.SSL_VERIFY_NONE;
        string? name = verifies && !string.IsNullOrEmpty(expectedName) ? expectedName : null;
        if (name is null && validator is null)
        {
            return null;
        }

        bool isAddress = name is not null && IsAddressLiteral(name);
        if (name is not null)
        {
            Span<byte> buffer = stackalloc byte[256];
            fixed (byte* text = Utf8Z.From(name, buffer))
            {
                if (isAddress)
                {
                    // Borrowed (get0): the SSL's own verify parameters, copied into each verification.
                    if (Crypto.X509_VERIFY_PARAM_set1_ip_asc(Ssl.SSL_get0_param(ssl), (sbyte*)text) != 1)
                    {
                        throw ErrorQueue.Drain($"setting the expected server address '{name}' (X509_VERIFY_PARAM_set1_ip_asc)");
                    }
                }
                else
                {
                    if (Ssl.SSL_set1_host(ssl, (sbyte*)text) != 1)
                    {
                        throw ErrorQueue.Drain($"setting the expected server name '{name}' (SSL_set1_host)");
                    }

                    Ssl.SSL_set_hostflags(ssl, Crypto.X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                }
            }
        }

        if (validator is not null && !verifies)
        {
            // A NULL callback keeps the SSL's current one; with PEER the outcome of our verify callback counts.
            Ssl.SSL_set_verify(ssl, Ssl.SSL_VERIFY_PEER, null);
        }

        if (validator is null)
        {
            // The name alone lives in the SSL's verify parameters, where the callback finds it: no managed state (and no
            // GCHandle) per connection. A mismatch attaches one for its message (VerifyChecked).
            return null;
        }

        var state = new State(name, isAddress, validator);
        Slot.Attach(ssl, state);

        return state;
    }

    /// <summary>
    /// Sets up <paramref name="ssl"/> (a server) to show its client's certificate to <paramref name="validator"/>. The
    /// verify mode stays the profile's: a server asks for a certificate only when its profile says so. Returns the state.
    /// </summary>
    internal static State AttachValidator(SSL* ssl, IPeerCertificateValidator validator)
    {
        var state = new State(expectedName: null, expectedIsAddress: false, validator);
        Slot.Attach(ssl, state);
        return state;
    }

    /// <summary>The state of <paramref name="ssl"/>: the one <see cref="Attach"/> returned, or one a failed name check attached.</summary>
    internal static State? Find(SSL* ssl) => Slot.IsAllocated ? Slot.Get<State>(ssl) : null;

    /// <summary>An IPv4 dotted quad or an IPv6 address (brackets allowed): checked against IP subjectAltNames.</summary>
    internal static bool IsAddressLiteral(string name)
    {
        // Host names, the usual case, never reach the parser: IPv4 is digits and dots only, IPv6 has a colon.
        if (name.AsSpan().ContainsAnyExcept(Ipv4Characters) && !name.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        string bare = name.Length > 2 && name[0] == '[' && name[^1] == ']' ? name[1..^1] : name;
        return IPAddress.TryParse(bare, out IPAddress? address)
            && (address.AddressFamily == AddressFamily.InterNetworkV6 ? bare.Contains(':', StringComparison.Ordinal) : bare.Count(c => c == '.') == 3);
    }

    /// <summary>
    /// The host of a <c>sip:</c> URI (RFC 3261 §19.1: <c>sip:[user@]host[:port][;params][?headers]</c>), or null when
    /// <paramref name="uri"/> is not one.
    /// </summary>
    internal static string? SipUriHost(string uri)
    {
        if (!uri.StartsWith("sip:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string rest = uri[4..];
        int end = rest.IndexOfAny([';', '?']);
        if (end >= 0)
        {
            rest = rest[..end];
        }

        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            rest = rest[(at + 1)..];
        }

        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? null : rest[..(close + 1)];
        }

        int colon = rest.IndexOf(':', StringComparison.Ordinal);
        string host = colon >= 0 ? rest[..colon] : rest;
        return host.Length == 0 ? null : host;
    }

    /// <summary>Whether <paramref name="host"/> names <paramref name="expected"/> (DNS names compare case-insensitively; a final dot is ignored).</summary>
    internal static bool SameHost(string host, string expected) =>
        string.Equals(host.TrimEnd('.'), expected.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <summary>"expected 'x'; the certificate names DNS:a, URI:sip:b, IP:c, CN=d".</summary>
    internal static string DescribeMismatch(string expected, NativeCertificateFacts certificate)
    {
        var names = new List<string>();
        names.AddRange(certificate.DnsNames.Select(n => "DNS:" + n));
        names.AddRange(certificate.Uris.Select(n => "URI:" + n));
        names.AddRange(certificate.IpAddresses.Select(n => "IP:" + n));
        if (certificate.Subject.CommonName is { } commonName)
        {
            names.Add("CN=" + commonName);
        }

        string listed = names.Count == 0 ? "no name" : string.Join(", ", names);
        return string.Create(CultureInfo.InvariantCulture, $"expected '{expected}', the certificate names {listed}");
    }

    /// <summary><c>SSL_CTX_set_cert_verify_callback</c>: 1 accepts, 0 refuses (the store's error says why); never -1.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Verify(X509_STORE_CTX* store, void* argument)
    {
        try
        {
            return VerifyChecked(store);
        }
        catch (Exception e)
        {
            // Never let an exception cross into OpenSSL: the certificate is refused, the handshake reports the exception.
            // X509_V_ERR_UNSPECIFIED is the code libssl turns into an internal_error alert: the peer did nothing wrong.
            NativeCallback.Record(CallbackName, e);
            Crypto.X509_STORE_CTX_set_error(store, Crypto.X509_V_ERR_UNSPECIFIED);
            return 0;
        }
    }

    private static int VerifyChecked(X509_STORE_CTX* store)
    {
        // Borrowed: libssl stores the SSL being verified in the store context's ex_data.
        var ssl = (SSL*)Crypto.X509_STORE_CTX_get_ex_data(store, Ssl.SSL_get_ex_data_X509_STORE_CTX_idx());
        State? state = Find(ssl);
        X509* leaf = Crypto.X509_STORE_CTX_get0_cert(store);
        if (leaf == null)
        {
            return Math.Max(0, Crypto.X509_verify_cert(store));
        }

        // Without state the expected name is in the verify parameters (the store context's copy of the SSL's).
        bool isAddress = false;
        string? expected = state is not null ? state.ExpectedName : ExpectedName(Crypto.X509_STORE_CTX_get0_param(store), out isAddress);
        if (state is not null)
        {
            isAddress = state.ExpectedIsAddress;
        }
        if (expected is null && state is null)
        {
            return Math.Max(0, Crypto.X509_verify_cert(store));
        }

        // The whole certificate is read only for a failure's message or the validator: not on the usual success.
        NativeCertificateFacts? facts = null;
        if (expected is not null && !isAddress)
        {
            ApplySipRule(store, expected, ConnectionInfoReader.ReadSipUris(leaf, out bool hasDnsName), hasDnsName);
        }

        // Below 0 is an internal error (no certificate, bad arguments): a refusal like any other, as libssl treats it.
        int ok = Math.Max(0, Crypto.X509_verify_cert(store));
        int error = Crypto.X509_STORE_CTX_get_error(store);
        if (expected is not null && error is Crypto.X509_V_ERR_HOSTNAME_MISMATCH or Crypto.X509_V_ERR_IP_ADDRESS_MISMATCH)
        {
            facts ??= ConnectionInfoReader.ReadCertificate(leaf);
            if (state is null && ssl != null)
            {
                state = new State(expected, isAddress, validator: null);
                Slot.Attach(ssl, state);
            }

            if (state is not null)
            {
                state.MismatchDetail = DescribeMismatch(expected, facts);
            }
        }

        if (state?.Validator is not { } validator)
        {
            return ok;
        }

        facts ??= ConnectionInfoReader.ReadCertificate(leaf);
        bool verified = ok == 1 && error == Crypto.X509_V_OK;
        var verdict = new PeerCertificateVerdict(
            facts,
            verified,
            error,
            Utf8Z.ToString(Crypto.X509_verify_cert_error_string(error)) ?? string.Empty,
            state.ExpectedName,
            IsServer: ssl != null && Ssl.SSL_is_server(ssl) == 1,
            ErrorDepth: verified ? 0 : Math.Max(0, Crypto.X509_STORE_CTX_get_error_depth(store)),
            Chain: ReadBuiltChain(store));
        bool? accepted = validator.Validate(verdict);
        if (accepted is null)
        {
            return ok; // no callback applies to this connection's current profile: OpenSSL's verdict stands
        }

        if (accepted.Value)
        {
            // The caller's decision stands, like RemoteCertificateValidationCallback returning true.
            Crypto.X509_STORE_CTX_set_error(store, Crypto.X509_V_OK);
            state.MismatchDetail = null;
            return 1;
        }

        state.RefusedByValidator = true;
        if (error == Crypto.X509_V_OK)
        {
            // A chain OpenSSL accepted, refused by the caller: libssl sends bad_certificate for this code, as SslStream
            // does. A chain that failed keeps its own code and so its own alert (unknown_ca, certificate_expired...).
            Crypto.X509_STORE_CTX_set_error(store, Crypto.X509_V_ERR_CERT_REJECTED);
        }

        return 0;
    }

    /// <summary>The chain the store context built (leaf first) in PEM; borrowed (get0) from the store context.</summary>
    private static List<string> ReadBuiltChain(X509_STORE_CTX* store)
    {
        var pems = new List<string>();
        var chain = (OPENSSL_STACK*)Crypto.X509_STORE_CTX_get0_chain(store);
        int count = chain == null ? 0 : Crypto.OPENSSL_sk_num(chain);
        for (int i = 0; i < count; i++)
        {
            pems.Add(ConnectionInfoReader.Pem((X509*)Crypto.OPENSSL_sk_value(chain, i)));
        }

        X509* leaf = Crypto.X509_STORE_CTX_get0_cert(store);
        if (pems.Count == 0 && leaf != null)
        {
            pems.Add(ConnectionInfoReader.Pem(leaf));
        }

        return pems;
    }

    /// <summary>
    /// RFC 5922 §7.1 on top of OpenSSL's host check (DNS subjectAltNames, CN fallback): a <c>sip:</c> URI
    /// subjectAltName whose host is the expected name matches, so the name check is done and only the chain is left
    /// to OpenSSL; a certificate with <c>sip:</c> URIs but no DNS names never falls back to its CN. Both change only
    /// this verification's copy of the parameters.
    /// </summary>
    private static void ApplySipRule(X509_STORE_CTX* store, string expected, List<string>? sipUris, bool hasDnsName)
    {
        if (sipUris is null)
        {
            return; // no sip: URI: OpenSSL's DNS (and CN) check stands
        }

        bool hasSipUri = false;
        foreach (string uri in sipUris)
        {
            if (SipUriHost(uri) is not { } host)
            {
                continue;
            }

            hasSipUri = true;
            if (SameHost(host, expected))
            {
                // Borrowed (get0): the store context's own copy of the SSL's parameters.
                Crypto.X509_VERIFY_PARAM_set1_host(Crypto.X509_STORE_CTX_get0_param(store), null, 0);
                return;
            }
        }

        if (hasSipUri && !hasDnsName)
        {
            X509_VERIFY_PARAM* param = Crypto.X509_STORE_CTX_get0_param(store);
            Crypto.X509_VERIFY_PARAM_set_hostflags(param, Crypto.X509_VERIFY_PARAM_get_hostflags(param) | Crypto.X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
        }
    }

    /// <summary>The host name (<c>SSL_set1_host</c>) or IP address (<c>X509_VERIFY_PARAM_set1_ip_asc</c>) the parameters expect, or null.</summary>
    private static string? ExpectedName(X509_VERIFY_PARAM* param, out bool isAddress)
    {
        isAddress = false;
        if (param == null)
        {
            return null;
        }

        // get0: borrowed from the parameters.
        if (Utf8Z.ToString(Crypto.X509_VERIFY_PARAM_get0_host(param, 0)) is { } host)
        {
            return host;
        }

        // get1: a new string of ours, freed here.
        sbyte* ip = Crypto.X509_VERIFY_PARAM_get1_ip_asc(param);
        if (ip == null)
        {
            return null;
        }

        try
        {
            isAddress = true;
            return Utf8Z.ToString(ip);
        }
        finally
        {
            Crypto.CRYPTO_free(ip, null, 0);
        }
    }
}
