using Microsoft.Extensions.Logging;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Profiles;

/// <summary>
/// Builds one profile's <c>SSL_CTX</c> in Kamailio's order (spec §5). Every failing step throws a
/// <see cref="TlsProfileException"/> naming the profile, the parameter and its value, with OpenSSL's errors when
/// OpenSSL reported them. The native calls are <see cref="SslContextNative"/>'s; the decisions are made here.
/// </summary>
internal sealed partial class ProfileContextBuilder
{
    private static int s_freelistWarned;
    private static int s_compressionWarned;

    private readonly string _label;
    private readonly TlsRole _role;
    private readonly TlsProfileSettings _settings;
    private readonly TlsTuning _tuning;
    private readonly ILogger? _logger;
    private readonly OpenSslEngine? _engine;
    private readonly TlsTicketKeyRing? _ticketKeys;
    private readonly TlsSessionStore? _sessionStore;
    private readonly CertificateSlot _first;
    private readonly CertificateSlot _second;

    // engine: the global engine that /engine: keys are loaded through, or null when engine is NONE.
    // ticketKeys: the module's shared session-ticket keys, or null for OpenSSL's own random keys per context.
    internal ProfileContextBuilder(string label, TlsRole role, TlsProfileSettings settings, TlsTuning tuning, ILogger? logger, OpenSslEngine? engine = null, TlsTicketKeyRing? ticketKeys = null, TlsSessionStore? sessionStore = null)
    {
        _ticketKeys = ticketKeys;
        _sessionStore = sessionStore;
        _label = label;
        _role = role;
        _settings = settings;
        _tuning = tuning;
        _logger = logger;
        _engine = engine;
        _first = new CertificateSlot("certificate", "private_key", "CertificateSource", settings.Certificate, settings.CertificateSource,
            settings.PrivateKey, settings.PrivateKeyPassword);
        _second = new CertificateSlot("certificate2", "private_key2", "Certificate2Source", settings.Certificate2, settings.Certificate2Source,
            settings.PrivateKey2, settings.PrivateKeyPassword2);
    }

    internal SafeSslContextHandle Build()
    {
        ValidateSettings();
        SafeSslContextHandle context = SslContextNative.Create(_role == TlsRole.Server, $"profile {_label}: SSL_CTX_new");
        try
        {
            SafeSslContextHandle ctx = context;
            SetProtocolRange(ctx);
            InstallKeyLog(ctx);
            if (_role == TlsRole.Server)
            {
                SslContextNative.InstallServerNameSwitch(ctx);
            }

            UseCertificate(ctx, _first);
            UseCertificate(ctx, _second);
            LoadCertificateAuthorities(ctx);
            AddCertificateAuthorities(ctx);
            LoadCrl(ctx);
            SetCiphers(ctx);
            SetGroups(ctx);
            SetApplicationProtocols(ctx);
            EnsureProtocolUsable(ctx);
            SetVerification(ctx);
            SetOptions(ctx);
            SetSessionCache(ctx);
            UseKey(ctx, _first, checkPair: true);
            UseKey(ctx, _second, checkPair: false);
            ApplyGlobalModes(ctx);
            return context;
        }
        catch
        {
            context.Dispose();
            throw;
        }
        finally
        {
            // The context holds its own references to what it uses.
            _first.Dispose();
            _second.Dispose();
        }
    }

    private void ValidateSettings()
    {
        if (_settings.VerifyDepth is < 0 or > 100)
        {
            throw Invalid("verify_depth", $"must be 0..100, not {_settings.VerifyDepth}");
        }

        ValidateCertificateSources();
        if (_settings.PrivateKey is not null && _settings.Certificate is null && _settings.CertificateSource is null)
        {
            throw Invalid("private_key", $"'{SecretRedaction.RedactReference(_settings.PrivateKey)}' is set but no certificate is");
        }

        if (_settings.PrivateKey2 is not null && _settings.Certificate2 is null && _settings.Certificate2Source is null)
        {
            throw Invalid("private_key2", $"'{SecretRedaction.RedactReference(_settings.PrivateKey2)}' is set but no certificate2 is");
        }

        // certificate2 without private_key2 is refused once the certificate is read: a PKCS#12 bundle carries its key.

        // Keys by reference: /engine:<key id> needs the global engine; /engine: and /uri: need something after the prefix.
        foreach ((string parameter, string? value) in new[] { ("private_key", _settings.PrivateKey), ("private_key2", _settings.PrivateKey2) })
        {
            if (value is null)
            {
                continue;
            }

            bool byEngine = value.StartsWith(PrivateKeyReference.EnginePrefix, StringComparison.Ordinal);
            bool byUri = value.StartsWith(PrivateKeyReference.UriPrefix, StringComparison.Ordinal);
            if ((byEngine && value.Length == PrivateKeyReference.EnginePrefix.Length) || (byUri && value.Length == PrivateKeyReference.UriPrefix.Length))
            {
                throw Invalid(parameter, $"'{value}' names no key after the prefix");
            }

            if (byEngine && _engine is null)
            {
                throw Invalid(parameter, $"'{SecretRedaction.RedactReference(value)}' is a key held by an engine, but no engine is configured (engine = NONE)");
            }
        }
    }

    private void SetProtocolRange(SafeSslContextHandle ctx)
    {
        (int min, int max) = _settings.Method switch
        {
            TlsMethod.SSLv23 => (0, 0),
            TlsMethod.SSLv2 => throw Invalid("method", "SSLv2 is not supported by OpenSSL 3"),
            TlsMethod.SSLv3 => (Ssl.SSL3_VERSION, Ssl.SSL3_VERSION),
            TlsMethod.TLSv1 => (Ssl.TLS1_VERSION, Ssl.TLS1_VERSION),
            TlsMethod.TLSv1_1 => (Ssl.TLS1_1_VERSION, Ssl.TLS1_1_VERSION),
            TlsMethod.TLSv1_2 => (Ssl.TLS1_2_VERSION, Ssl.TLS1_2_VERSION),
            TlsMethod.TLSv1_3 => (Ssl.TLS1_3_VERSION, Ssl.TLS1_3_VERSION),
            TlsMethod.TLSv1Plus => (Ssl.TLS1_VERSION, 0),
            TlsMethod.TLSv1_1Plus => (Ssl.TLS1_1_VERSION, 0),
            TlsMethod.TLSv1_2Plus => (Ssl.TLS1_2_VERSION, 0),
            TlsMethod.TLSv1_3Plus => (Ssl.TLS1_3_VERSION, 0),
            _ => throw Invalid("method", $"unknown value {_settings.Method}"),
        };

        if (!SslContextNative.SetProtocolRange(ctx, min, max))
        {
            throw Fail("method", $"{TlsMethodNames.ToName(_settings.Method)} is not supported by the loaded OpenSSL");
        }

        // OpenSSL 3 built without SSLv3 accepts the version number but silently keeps its own floor.
        if (min != 0 && SslContextNative.GetMinProtocol(ctx) != min)
        {
            throw Invalid("method", $"{TlsMethodNames.ToName(_settings.Method)} is not supported by the loaded OpenSSL");
        }
    }

    private void LoadCertificateAuthorities(SafeSslContextHandle ctx)
    {
        string? list = _settings.CaList;
        string? directory = _settings.CaPath;

        // A DER ca_list holds one certificate, which OpenSSL's file loader (PEM only) cannot read: added directly.
        if (list is not null && TryAddDerCaFile(ctx, list, "ca_list"))
        {
            list = null;
        }

        if (list is null && directory is null)
        {
            return;
        }

        if (directory is not null && !Directory.Exists(directory))
        {
            throw Invalid("ca_path", $"'{directory}' is not a directory");
        }

        if (!SslContextNative.LoadVerifyLocations(ctx, list, directory))
        {
            throw list is not null
                ? Fail("ca_list", $"cannot load CA certificates from '{list}'")
                : Fail("ca_path", $"cannot use CA directory '{directory}'");
        }

        // The CA names a server sends in its certificate request.
        if (list is not null && !SslContextNative.SetClientCaListFromFile(ctx, list))
        {
            throw Fail("ca_list", $"no CA names could be read from '{list}'");
        }
    }

    private void LoadCrl(SafeSslContextHandle ctx)
    {
        if (_settings.Crl is null)
        {
            return;
        }

        if (!SslContextNative.LoadCrlLocations(ctx, _settings.Crl))
        {
            throw Fail("crl", $"cannot load CRLs from '{_settings.Crl}'");
        }

        // Kamailio's rule: CRL_CHECK_ALL checks every certificate of the chain, so each CA needs a CRL.
        if (!SslContextNative.EnableCrlCheckAll(ctx))
        {
            throw Fail("crl", "cannot enable CRL checking");
        }
    }

    private void SetCiphers(SafeSslContextHandle ctx)
    {
        string? list = _settings.CipherList;
        if (list is not null)
        {
            bool asSuites = TlsMethodNames.IsTls13Only(_settings.Method);
            bool ok = asSuites ? SslContextNative.SetCipherSuites(ctx, list) : SslContextNative.SetCipherList(ctx, list);
            if (!ok)
            {
                throw Fail("cipher_list", asSuites
                    ? $"'{list}' names no TLS 1.3 cipher suite OpenSSL accepts (with a TLS 1.3-only method, cipher_list lists TLS 1.3 suites)"
                    : $"'{list}' selects no cipher OpenSSL accepts");
            }

            // Kamailio enables DHE parameters only when a cipher list is configured.
            SslContextNative.EnableAutomaticDh(ctx);
        }

        if (_settings.CipherSuites is { } suites)
        {
            if (!SslContextNative.SetCipherSuites(ctx, suites))
            {
                throw Fail("cipher_suites", $"'{suites}' names no TLS 1.3 cipher suite OpenSSL accepts");
            }
        }
    }

    private void SetApplicationProtocols(SafeSslContextHandle ctx)
    {
        if (_settings.ApplicationProtocols is not { Count: > 0 } protocols)
        {
            if (_role == TlsRole.Server)
            {
                // No list of its own: a connection may bring one (TlsConnection.SetFallbackApplicationProtocols).
                ApplicationProtocolNegotiation.InstallSelection(ctx);
            }

            return;
        }

        var wire = new List<byte>();
        foreach (System.Net.Security.SslApplicationProtocol protocol in protocols)
        {
            ReadOnlySpan<byte> name = protocol.Protocol.Span;
            if (name.Length is 0 or > 255)
            {
                throw Invalid("application_protocols", $"an ALPN protocol must be 1..255 bytes, not {name.Length} ('{protocol}')");
            }

            wire.Add((byte)name.Length);
            wire.AddRange(name);
        }

        if (wire.Count > ushort.MaxValue - 2)
        {
            throw Invalid("application_protocols", $"the ALPN list takes {wire.Count} bytes, more than one extension holds");
        }

        if (_role == TlsRole.Server)
        {
            ApplicationProtocolNegotiation.Select(ctx, [.. wire]);
        }
        else if (!ApplicationProtocolNegotiation.Offer(ctx, [.. wire]))
        {
            throw Invalid("application_protocols", $"OpenSSL refused the ALPN list {string.Join(",", protocols)}");
        }
    }

    private void SetGroups(SafeSslContextHandle ctx)
    {
        if (_settings.Groups is not { } groups || SslContextNative.SetGroupsList(ctx, groups))
        {
            return;
        }

        // OpenSSL refuses the whole list without saying which name it does not know: try each alone to name it.
        ErrorQueue.Clear();
        string[] unknown = [.. groups.Split([':', '/'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(group => group.TrimStart('?', '*', '-'))
            .Where(group => group.Length > 0 && !SslContextNative.SetGroupsList(ctx, group))];
        ErrorQueue.Clear();
        throw Invalid("groups", unknown.Length > 0
            ? $"the loaded OpenSSL {OpenSslRuntime.Version} knows no group {string.Join(", ", unknown.Select(group => $"'{group}'"))} (in '{groups}')"
            : $"'{groups}' is not a group list OpenSSL accepts (names separated by ':')");
    }

    /// <summary>
    /// Fails when no cipher is usable with the method's versions: OpenSSL 3 accepts SSLv3 or TLS 1.0/1.1 as version
    /// bounds but, at its default security level (or without SSLv3 compiled in), every handshake would then fail.
    /// Refusing at build time names the cause instead of failing each connection later.
    /// </summary>
    private void EnsureProtocolUsable(SafeSslContextHandle ctx)
    {
        int usable = SslContextNative.CountSupportedCiphers(ctx);
        if (usable < 0)
        {
            throw Fail("method", "cannot create a connection from the context");
        }

        ErrorQueue.Clear();
        string name = TlsMethodNames.ToName(_settings.Method);

        // Ciphers exist for TLS 1.0/1.1, but their handshake signatures (SHA-1, MD5+SHA-1) are refused at security
        // level 1 and above, so a profile capped at TLS 1.1 could never complete a handshake.
        bool cappedBelowTls12 = _settings.Method is TlsMethod.TLSv1 or TlsMethod.TLSv1_1;
        if (usable > 0 && !(cappedBelowTls12 && SslContextNative.GetSecurityLevel(ctx) > 0))
        {
            return;
        }

        throw _settings.Method switch
        {
            TlsMethod.SSLv3 => Invalid("method", "SSLv3 is not supported by the loaded OpenSSL"),
            TlsMethod.TLSv1 or TlsMethod.TLSv1_1 => Invalid("method",
                $"{name} is not usable: OpenSSL 3 allows TLS 1.0/1.1 only at security level 0; add ':@SECLEVEL=0' to cipher_list to accept the risk"),
            _ => Invalid("cipher_list", $"no cipher of '{_settings.CipherList ?? _settings.CipherSuites}' is usable with method {name}"),
        };
    }

    private void SetVerification(SafeSslContextHandle ctx)
    {
        // optional_no_ca's accept-anything callback is for client certificates: on a client profile (in modparam mode
        // the same template builds [client:default]) it would switch off the check of every server certificate.
        bool acceptAny = _role == TlsRole.Server && _settings.VerifyClient == VerifyClientMode.OptionalNoCa;
        SslContextNative.SetVerify(ctx, VerifyModeFor(_settings, _role), acceptAny, _settings.VerifyDepth);

        // Clients check the server's name (verify_hostname), and both roles run the validation callback, from here;
        // what each connection checks is set on its SSL when it is created (servers: the callback only).
        SslContextNative.InstallServerCertificateCheck(ctx);
    }

    /// <summary>
    /// Kamailio's verification matrix (spec §2.2), evaluated in its order. On a client profile
    /// <c>verify_client = optional_no_ca</c> counts for nothing (it neither verifies nor, see <see cref="SetVerification"/>,
    /// accepts every server certificate), while <c>on</c> and <c>optional</c> still make the client verify, as in Kamailio.
    /// </summary>
    internal static int VerifyModeFor(TlsProfileSettings settings, TlsRole role)
    {
        VerifyClientMode verifyClient = role == TlsRole.Client && settings.VerifyClient == VerifyClientMode.OptionalNoCa
            ? VerifyClientMode.Off
            : settings.VerifyClient;
        if (settings.RequireCertificate || verifyClient == VerifyClientMode.On)
        {
            return Ssl.SSL_VERIFY_PEER | Ssl.SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        }

        if (settings.VerifyCertificate || verifyClient is VerifyClientMode.Optional or VerifyClientMode.OptionalNoCa)
        {
            return Ssl.SSL_VERIFY_PEER;
        }

        return Ssl.SSL_VERIFY_NONE;
    }

    private void SetOptions(SafeSslContextHandle ctx)
    {
        ulong options = Ssl.SSL_OP_ALL | Ssl.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION | Ssl.SSL_OP_CIPHER_SERVER_PREFERENCE;

        // renegotiation=0: OpenSSL refuses every renegotiation with a no_renegotiation alert and keeps the
        // connection (Kamailio drops it instead). 1: allow client-initiated renegotiation, which OpenSSL 3 refuses by default.
        options |= _tuning.Renegotiation ? Ssl.SSL_OP_ALLOW_CLIENT_RENEGOTIATION : Ssl.SSL_OP_NO_RENEGOTIATION;

        // Compression stays off whatever tls_disable_compression says: it leaks plaintext through record lengths (CRIME),
        // and Kamailio's parameter only acts on OpenSSL < 1.1, so with OpenSSL 3 Kamailio never enables it either.
        options |= Ssl.SSL_OP_NO_COMPRESSION;
        if (!_tuning.DisableCompression && Interlocked.Exchange(ref s_compressionWarned, 1) == 0 && _logger is not null)
        {
            LogCompressionIgnored(_logger);
        }

        // An openssl.cnf system_default section may set UnsafeLegacyRenegotiation when SSL_CTX_new runs; renegotiation
        // without RFC 5746 lets an attacker prefix a victim's session with its own data, so it is never allowed.
        SslContextNative.ClearOptions(ctx, Ssl.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION);
        SslContextNative.SetOptions(ctx, options);
    }

    private void SetSessionCache(SafeSslContextHandle ctx)
    {
        byte[] sessionIdContext = SessionIdContextFor(_label, _role, _settings, _tuning);
        if (!SslContextNative.SetSessionIdContext(ctx, sessionIdContext))
        {
            throw Fail("session_id", $"'{_tuning.SessionId}' is not accepted as a session id context");
        }

        if (_role == TlsRole.Client)
        {
            // Clients resume explicitly (TlsConnection.GetSession / resumeSession); OpenSSL's client cache is not used.
            SslContextNative.SetSessionCacheMode(ctx, Ssl.SSL_SESS_CACHE_OFF);
            return;
        }

        if (_tuning.SessionCache)
        {
            SslContextNative.SetSessionCacheMode(ctx, Ssl.SSL_SESS_CACHE_SERVER);
            if (_ticketKeys is not null)
            {
                // Tickets sealed with the module's keys instead of this context's random ones: every profile, every
                // reload and every node sharing the ring opens them (the session id context still keeps profiles apart).
                TicketKeyCallback.Install(ctx, _ticketKeys);
            }

            if (_sessionStore is not null)
            {
                // TLS 1.2 session ids kept in the shared store instead of this context's internal cache, keyed under
                // the profile's session id context: every node resumes them, and profiles stay apart there too.
                SessionCacheCallback.Install(ctx, _sessionStore, sessionIdContext);
            }
        }
        else
        {
            // No resumption at all: no server cache, no tickets (which also saves issuing two tickets per TLS 1.3 handshake).
            SslContextNative.SetSessionCacheMode(ctx, Ssl.SSL_SESS_CACHE_OFF);
            SslContextNative.SetOptions(ctx, Ssl.SSL_OP_NO_TICKET);
            SslContextNative.SetTicketCount(ctx, 0);
        }
    }

    /// <summary>
    /// The profile's own session id context: SHA-256 (32 bytes, OpenSSL's maximum) of the module's session_id, the
    /// profile's identity (role, label, certificates) and everything that decides whether a peer is accepted
    /// (verification, CAs, CRL, protocol range). Kamailio gives every profile the same session_id, so after an SNI
    /// switch a session made on a profile that asked for no client certificate resumed on one that requires it.
    /// OpenSSL resumes a session or ticket only under the context it was issued with.
    /// </summary>
    internal static byte[] SessionIdContextFor(string label, TlsRole role, TlsProfileSettings settings, TlsTuning tuning)
    {
        string identity = string.Join('\n',
            tuning.SessionId, role.ToString(), label, settings.Certificate, settings.Certificate2, settings.Method.ToString(),
            VerifyModeFor(settings, role).ToString(System.Globalization.CultureInfo.InvariantCulture), settings.VerifyClient.ToString(),
            settings.VerifyCertificate ? "verify" : "-", settings.RequireCertificate ? "require" : "-",
            settings.VerifyDepth.ToString(System.Globalization.CultureInfo.InvariantCulture),
            settings.CaList, settings.CaPath, settings.Crl, settings.ServerName, settings.ServerNameMode.ToString());

        // Sources only when set, so the contexts of path-only profiles stay what they were.
        if (settings.CertificateSource is not null || settings.Certificate2Source is not null || settings.CertificateAuthorities is not null)
        {
            identity = string.Join('\n', identity, settings.CertificateSource?.Description, settings.Certificate2Source?.Description,
                settings.CertificateAuthorities?.Description);
        }

        return System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity));
    }

    private void UsePrivateKey(SafeSslContextHandle ctx, string? path, string? password, string? certificate, string parameter, bool checkPair)
    {
        if (path is null)
        {
            return;
        }

        WarnIfReadableByOthers(path, parameter);
        using SafeEvpPKeyHandle key = PrivateKeyReference.Load(path, password, parameter, _label, _engine);
        string shown = SecretRedaction.RedactReference(path);
        if (!SslContextNative.UsePrivateKey(ctx, key))
        {
            // The context up-refs the key on success; on failure nothing changed hands.
            throw Fail(parameter, $"key '{shown}' does not match certificate '{certificate}'");
        }

        // Also for /engine: and /uri: keys (Kamailio skips it for /uri:): a key from a token or store that does not
        // belong to the certificate file must fail here, with the names of both, not in every handshake.
        if (checkPair && !SslContextNative.CheckPrivateKey(ctx))
        {
            throw Fail(parameter, $"key '{shown}' does not match certificate '{certificate}'");
        }
    }

    /// <summary>
    /// Warns (never fails, like Kamailio, which does not look) when a private key file is readable or writable by its
    /// group or others: anyone who can read it can impersonate the server. Keys held by an engine or a store other than
    /// a file have no file mode to check.
    /// </summary>
    private void WarnIfReadableByOthers(string reference, string parameter)
    {
        if (_logger is null || OperatingSystem.IsWindows() || KeyFileOf(reference) is not { } file)
        {
            return;
        }

        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // loading the key reports the unreadable file
        }

        const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & GroupOrOthers) != 0)
        {
            LogKeyFilePermissive(_logger, _label, parameter, file, Convert.ToString((int)mode, 8).PadLeft(4, '0'));
        }
    }

    /// <summary>The file a key reference reads: a plain path, or a <c>/uri:</c> that is a path or a <c>file:</c> URI.</summary>
    private static string? KeyFileOf(string reference)
    {
        if (reference.StartsWith(PrivateKeyReference.EnginePrefix, StringComparison.Ordinal))
        {
            return null;
        }

        if (!reference.StartsWith(PrivateKeyReference.UriPrefix, StringComparison.Ordinal))
        {
            return reference;
        }

        // The forms OpenSSL's file: loader takes: file:/path, file:///path, file://localhost/path, or a bare path.
        string path = reference[PrivateKeyReference.UriPrefix.Length..];
        if (path.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            path = path["file:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal))
            {
                int slash = path.IndexOf('/', 2);
                string host = slash < 0 ? string.Empty : path[2..slash];
                if (slash < 0 || (host.Length > 0 && !host.Equals("localhost", StringComparison.OrdinalIgnoreCase)))
                {
                    return null;
                }

                path = path[slash..];
            }

            path = Uri.UnescapeDataString(path);
        }

        return path.StartsWith('/') ? path : null;
    }

    private void ApplyGlobalModes(SafeSslContextHandle ctx)
    {
        switch (_tuning.ReleaseBuffers)
        {
            case 1:
                SslContextNative.SetMode(ctx, Ssl.SSL_MODE_RELEASE_BUFFERS);
                break;
            case 0:
                SslContextNative.ClearMode(ctx, Ssl.SSL_MODE_RELEASE_BUFFERS);
                break;
        }

        if (_tuning.MaxSendFragment != -1 && !SslContextNative.SetMaxSendFragment(ctx, _tuning.MaxSendFragment))
        {
            throw Fail("ssl_max_send_fragment", $"{_tuning.MaxSendFragment} is not accepted by OpenSSL");
        }

        if (_tuning.ReadAhead != -1)
        {
            SslContextNative.SetReadAhead(ctx, _tuning.ReadAhead);
        }

        if (_tuning.FreelistMaxLength != 0 && Interlocked.Exchange(ref s_freelistWarned, 1) == 0 && _logger is not null)
        {
            LogFreelistIgnored(_logger, _tuning.FreelistMaxLength);
        }

        // Like Kamailio: OpenSSL may see a retried write from another buffer address, and writes may complete per record.
        SslContextNative.SetMode(ctx, Ssl.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | Ssl.SSL_MODE_ENABLE_PARTIAL_WRITE);
    }

    /// <summary>A step OpenSSL refused: the failure carries what OpenSSL queued for it.</summary>
    /// <summary>
    /// keylog_mode: every context of a module sends its key-log lines to the module's destinations (file, UDP peer,
    /// log); none: no callback at all.
    /// </summary>
    private void InstallKeyLog(SafeSslContextHandle ctx)
    {
        if (!KeyLogSink.IsWanted(_tuning))
        {
            return;
        }

        KeyLogSink sink;
        try
        {
            sink = KeyLogSink.Create(_tuning, _logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid("keylog_file", $"cannot use '{_tuning.KeyLogFile}': {e.Message}");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw Invalid("keylog_peer", $"cannot send to udp:{_tuning.KeyLogPeer}: {e.Message}");
        }

        try
        {
            SslContextNative.InstallKeyLog(ctx, sink);
        }
        catch
        {
            sink.OnExDataReleased();
            throw;
        }
    }

    private TlsProfileException Fail(string parameter, string problem) =>
        new(_label, parameter, problem, ErrorQueue.Drain($"profile {_label}: {parameter}"));

    /// <summary>A setting refused before (or without) asking OpenSSL.</summary>
    private TlsProfileException Invalid(string parameter, string problem) => new(_label, parameter, problem);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "ssl_freelist_max_len={Value} has no effect: OpenSSL 1.1 and later keep no SSL freelists")]
    private static partial void LogFreelistIgnored(ILogger logger, int value);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information,
        Message = "tls_disable_compression=0 has no effect: TLS compression stays off (CRIME; Kamailio ignores it on OpenSSL 1.1 and later too)")]
    private static partial void LogCompressionIgnored(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "profile {Profile}: {Parameter} file '{File}' has mode {Mode}, readable or writable by group or others; restrict it to its owner (chmod 600)")]
    private static partial void LogKeyFilePermissive(ILogger logger, string profile, string parameter, string file, string mode);
}
