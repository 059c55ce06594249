using System.Globalization;
using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Configuration;

/// <summary>
/// Every parameter of Kamailio's <c>tls</c> module (<c>modparam("tls", "name", value)</c>), under its Kamailio name
/// and with Kamailio's default, except <c>tls_method</c>, whose default here is <c>TLSv1.2+</c> (Kamailio: TLS 1.0
/// only, unusable on OpenSSL 3). Fill it from code, from <c>Microsoft.Extensions.Configuration</c> or from pasted
/// <c>modparam</c> lines (<see cref="TlsModuleOptionsReader"/>); <see cref="Validate"/> checks every range.
/// <para>
/// Where the values go: profile parameters become the <c>[server:default]</c>/<c>[client:default]</c> template when no
/// <c>config</c> file is used (<see cref="ToProfileSettings"/>); global tuning goes to every profile's context
/// (<see cref="ToTuning"/>); the runtime-changeable ones go to <see cref="TlsRuntimeParameters"/>
/// (<see cref="CreateRuntimeParameters"/>). Unlike Kamailio, the modparams <c>server_name</c>, <c>ca_path</c> and
/// <c>private_key_password</c> take effect. Parameters documented as "not wired yet" are accepted, type- and
/// range-checked and kept here, but nothing reads them yet.
/// </para>
/// <para>
/// File names follow Kamailio's rule: <c>/…</c> absolute, <c>.…</c> relative to the working directory, anything else
/// relative to <see cref="MainConfigDirectory"/>. Properties keep the text as configured; the <c>To…</c> methods resolve.
/// </para>
/// </summary>
public sealed class TlsModuleOptions
{
    /// <summary>Kamailio's default certificate (and key) file, relative to the main configuration directory.</summary>
    public const string DefaultCertificateFile = TlsProfileDefinition.DefaultCertificateFile;

    /// <summary>
    /// The directory relative file names resolve against: Kamailio's "directory of the main config file". Not a
    /// Kamailio parameter (configuration key <c>MainConfigDirectory</c>). Default: the directory of the modparam file
    /// read by <see cref="TlsModuleOptionsReader.ApplyModparamFile"/>, else the working directory at load time.
    /// </summary>
    public string? MainConfigDirectory { get; set; }

    /// <summary><c>tls_method</c>: protocol versions of the default profiles. Default <c>TLSv1.2+</c> (Kamailio: <c>TLSv1</c>).</summary>
    public TlsMethod Method { get; set; } = TlsMethod.TLSv1_2Plus;

    /// <summary><c>certificate</c>: certificate chain file. Default <c>cert.pem</c> in the main configuration directory.</summary>
    public string? Certificate { get; set; } = DefaultCertificateFile;

    /// <summary>
    /// <c>private_key</c>: key file, or a <c>/uri:</c> key id. Default (<see langword="null"/>): the
    /// <see cref="Certificate"/> file, which by default is Kamailio's <c>cert.pem</c>.
    /// </summary>
    public string? PrivateKey { get; set; }

    /// <summary><c>private_key_password</c>: password of an encrypted private key. Takes effect (Kamailio ignores the modparam).</summary>
    public string? PrivateKeyPassword { get; set; }

    /// <summary>
    /// <c>key_password_mode</c>: 0 = password from the configuration (<see cref="PrivateKeyPassword"/> or the profile's
    /// private_key_password). Kamailio's 1 (prompt on the terminal at start-up) is refused by <see cref="Validate"/>:
    /// a library or service has no terminal to ask on.
    /// </summary>
    public int KeyPasswordMode { get; set; }

    /// <summary><c>ca_list</c>: PEM bundle of trusted CAs (also sent as acceptable client CA names). Default unset.</summary>
    public string? CaList { get; set; }

    /// <summary><c>ca_path</c>: hashed directory of trusted CAs. Takes effect (Kamailio ignores the modparam).</summary>
    public string? CaPath { get; set; }

    /// <summary><c>crl</c>: PEM file of CRLs; enables CRL checks of the whole chain. Default unset.</summary>
    public string? Crl { get; set; }

    /// <summary><c>verify_certificate</c> (boolean; as a modparam 0 is off and any other integer on): verify the peer's certificate. Default 0.</summary>
    public bool VerifyCertificate { get; set; }

    /// <summary><c>verify_depth</c> (0..100): maximum certificate chain depth. Default 9.</summary>
    public int VerifyDepth { get; set; } = TlsProfileSettings.DefaultVerifyDepth;

    /// <summary><c>require_certificate</c> (boolean; as a modparam 0 is off and any other integer on): the peer must present a certificate. Default 0.</summary>
    public bool RequireCertificate { get; set; }

    /// <summary><c>verify_client</c>: <c>off</c>, <c>on</c>, <c>optional</c> or <c>optional_no_ca</c>. Default <c>off</c>.</summary>
    public VerifyClientMode VerifyClient { get; set; } = VerifyClientMode.Off;

    /// <summary><c>cipher_list</c>: OpenSSL cipher string (TLS 1.3 suites for TLS 1.3-only methods). Default: OpenSSL's.</summary>
    public string? CipherList { get; set; }

    /// <summary><c>cipher_suites</c> (an addition, not a Kamailio parameter): TLS 1.3 cipher suites. Default: OpenSSL's.</summary>
    public string? CipherSuites { get; set; }

    /// <summary>
    /// <c>groups</c> (an addition, not a Kamailio parameter): the key exchange groups of the default profiles,
    /// colon-separated in preference order as <c>SSL_CTX_set1_groups_list</c> takes them (e.g. <c>X25519:P-256</c>, or
    /// <c>X25519MLKEM768:X25519</c> on OpenSSL 3.5+); groups left out are refused. A name the loaded OpenSSL does not
    /// know fails the profile naming it. Default: OpenSSL's.
    /// </summary>
    public string? Groups { get; set; }

    /// <summary>
    /// <c>server_name</c>: the default profiles' SNI name: the name clients send when the caller gives none, and the
    /// name the server default matches. Takes effect (Kamailio ignores the modparam).
    /// </summary>
    public string? ServerName { get; set; }

    /// <summary>
    /// <c>connection_timeout</c> (seconds, -1 = never): how long a connection may stay idle until application data first
    /// passes on it (afterwards <see cref="ConnectionLifetime"/> applies). Default 600. Runtime-changeable.
    /// </summary>
    public int ConnectionTimeout { get; set; } = 600;

    /// <summary>
    /// <c>tcp_connection_lifetime</c> (seconds, -1 = never; an addition: in Kamailio a core parameter): how long a
    /// connection may stay idle once application data has passed on it. Default 120 (Kamailio's core default).
    /// Runtime-changeable.
    /// </summary>
    public int ConnectionLifetime { get; set; } = TlsRuntimeParameters.DefaultConnectionLifetime;

    /// <summary><c>tls_disable_compression</c> (boolean; as a modparam 0 is off and any other integer on): accepted; compression is always refused, 0 has no effect (as Kamailio on OpenSSL ≥ 1.1). Default 1.</summary>
    public bool DisableCompression { get; set; } = true;

    /// <summary><c>ssl_release_buffers</c> (below 0 OpenSSL's default, 0 off, above 0 on, as Kamailio): free idle record buffers. Default 1.</summary>
    public int ReleaseBuffers { get; set; } = 1;

    /// <summary><c>ssl_freelist_max_len</c> (-1..2^30): accepted for compatibility; no effect on OpenSSL ≥ 1.1. Default 0.</summary>
    public int FreelistMaxLength { get; set; }

    /// <summary><c>ssl_max_send_fragment</c> (-1 or 512..16384): largest plaintext per record. Default -1 (OpenSSL's 16384).</summary>
    public int MaxSendFragment { get; set; } = -1;

    /// <summary><c>ssl_read_ahead</c> (below 0 OpenSSL's default, 0 off, above 0 on, as Kamailio): OpenSSL read-ahead. Default 0.</summary>
    public int ReadAhead { get; set; }

    /// <summary><c>send_close_notify</c> (boolean; as a modparam 0 is off and any other integer on): send close_notify when closing. Default 0. Runtime-changeable.</summary>
    public bool SendCloseNotify { get; set; }

    /// <summary><c>con_ct_wq_max</c> (0..4 MiB): clear text one connection may queue. Default 65536. Runtime-changeable.</summary>
    public int ConnectionClearTextQueueMax { get; set; } = 65536;

    /// <summary><c>ct_wq_max</c> (0..1 GiB): clear text all connections may queue. Default 10 MiB. Runtime-changeable.</summary>
    public int ClearTextQueueMax { get; set; } = 10 * 1024 * 1024;

    /// <summary><c>ct_wq_blk_size</c> (1..65536): smallest clear-text queue block. Default 4096. Runtime-changeable.</summary>
    public int ClearTextQueueBlockSize { get; set; } = 4096;

    /// <summary><c>tls_log</c> (-5..1000, Kamailio log levels): level of connection messages. Default 3 (debug). Runtime-changeable.</summary>
    public int LogLevel { get; set; } = 3;

    /// <summary><c>tls_debug</c> (-5..1000, Kamailio log levels): level of debug traces. Default 3 (debug). Runtime-changeable.</summary>
    public int DebugLevel { get; set; } = 3;

    /// <summary>
    /// <c>low_mem_threshold1</c> (KB; -1 default, 0 off): refuse new connections below this free memory. Default -1.
    /// Runtime-changeable.
    /// </summary>
    public int LowMemoryThreshold1 { get; set; } = -1;

    /// <summary>
    /// <c>low_mem_threshold2</c> (KB; -1 default, 0 off): fail I/O on existing connections below this free memory.
    /// Default -1. Runtime-changeable.
    /// </summary>
    public int LowMemoryThreshold2 { get; set; } = -1;

    /// <summary><c>tls_force_run</c> (boolean; as a modparam 0 is off and any other integer on): start despite an OpenSSL version mismatch. Default 0. See <see cref="ApplyTo(OpenSslRuntimeOptions)"/>.</summary>
    public bool ForceRun { get; set; }

    /// <summary><c>session_cache</c> (boolean; as a modparam 0 is off and any other integer on): server-side session resumption. Default 0.</summary>
    public bool SessionCache { get; set; }

    /// <summary><c>session_id</c> (at most 32 bytes): session id context. Default <c>openssltls</c> (Kamailio: <c>kamailio-tls-&lt;version&gt;</c>).</summary>
    public string SessionId { get; set; } = new TlsTuning().SessionId;

    /// <summary><c>renegotiation</c> (boolean; as a modparam 0 is off and any other integer on): allow client-initiated renegotiation (TLS ≤ 1.2). Default 0.</summary>
    public bool Renegotiation { get; set; }

    /// <summary>
    /// The longest ClientHello a server connection accepts (bytes; 512..16777215), checked before any <c>SSL</c> is made.
    /// Default 16384. Not a Kamailio parameter (no modparam); <c>serve --max-client-hello-bytes</c> sets it.
    /// </summary>
    public int MaxClientHelloBytes { get; set; } = TlsTuning.DefaultMaxClientHelloBytes;

    /// <summary>
    /// <c>config</c>: a tls.cfg file, or a directory of them. When set, profiles come from it and the profile
    /// parameters above are ignored (as Kamailio); global ones still apply. Default unset.
    /// </summary>
    public string? Config { get; set; }

    /// <summary>
    /// Profiles given in code or configuration (an addition, not a Kamailio parameter; configuration key
    /// <c>Profiles</c>, see <see cref="TlsModuleOptionsReader.ProfilesKey"/>): when not empty, they are the profiles,
    /// exactly as if read from a tls.cfg file (missing <c>[server:default]</c>/<c>[client:default]</c> get the built-in
    /// settings, the profile parameters above are ignored). <see cref="Config"/> must then be unset. Default empty.
    /// </summary>
    public IReadOnlyList<TlsProfileDefinition> Profiles { get; set; } = [];

    /// <summary>
    /// <c>xavp_cfg</c>: in Kamailio, the script XAVP whose <c>server_name</c> and <c>server_id</c> attributes override,
    /// per outgoing connection, the SNI sent and the client profile chosen. There is no script engine here: accepted
    /// (and noted in the log at start-up) for configuration compatibility; the same override is passed per connection as
    /// a <see cref="OpenSslTls.Profiles.TlsClientOverride"/> to <c>TlsModule.OpenConnection</c>.
    /// </summary>
    public string? XavpConfig { get; set; }

    /// <summary>
    /// <c>event_callback</c>: the name of the handler run for <c>tls:connection-out</c> (Kamailio: a KEMI function).
    /// <c>TlsModule</c> looks it up in <c>TlsModuleHostOptions.EventHandlers</c> and refuses to start when
    /// no handler has that name. Empty or null: none (the default).
    /// </summary>
    public string? EventCallback { get; set; }

    /// <summary>
    /// <c>rand_engine</c>: <c>krand</c>, <c>fastrand</c>, <c>cryptorand</c> or <c>kxlibssl</c>. Validated here; pass it to
    /// <see cref="OpenSslRandom.Configure"/> before anything else touches OpenSSL.
    /// </summary>
    public string? RandEngine { get; set; }

    /// <summary><c>engine</c>: OpenSSL ENGINE id, <c>NONE</c> by default. See <see cref="ToEngineOptions"/>.</summary>
    public string Engine { get; set; } = "NONE";

    /// <summary><c>engine_config</c>: openssl.cnf-style file for the engine, <c>NONE</c> by default. See <see cref="ToEngineOptions"/>.</summary>
    public string EngineConfig { get; set; } = "NONE";

    /// <summary><c>engine_algorithms</c>: methods the engine provides by default, <c>ALL</c> by default (as Kamailio's code). See <see cref="ToEngineOptions"/>.</summary>
    public string EngineAlgorithms { get; set; } = "ALL";

    /// <summary>
    /// <c>provider_quirks</c> (boolean; as a modparam 0 is off and any other integer on): in Kamailio, re-create the provider in a fresh library context in each forked worker
    /// (multi-process mode). One .NET process loads providers once, so 1 has no effect; accepted and noted in the log at start-up.
    /// </summary>
    public bool ProviderQuirks { get; set; }

    /// <summary><c>provider_quirks_config</c>: the provider section file <see cref="ProviderQuirks"/> reads; no effect here (noted in the log at start-up).</summary>
    public string? ProviderQuirksConfig { get; set; }

    /// <summary><c>init_mode</c> (bits 0 and 1): no-ops in Kamailio with OpenSSL 3; range-checked, no effect here (noted in the log at start-up).</summary>
    public int InitMode { get; set; }

    /// <summary>
    /// <c>keylog_mode</c>: bit mask of 1 (install the key-log callback), 2 (active: without it nothing is logged),
    /// 4 (log each line at information level), 8 (append to <see cref="KeylogFile"/>), 16 (send each line as a UDP
    /// datagram to <see cref="KeylogPeer"/>), 1024 (only the six labels of Kamailio's documentation). Default 0. As in
    /// Kamailio, a destination needs bits 1 and 2 as well (e.g. 11 = file, 19 = UDP peer, 15 = log and file).
    /// </summary>
    public int KeylogMode { get; set; }

    /// <summary><c>keylog_file</c>: NSS key log file (needed with <see cref="KeylogMode"/> bit 8).</summary>
    public string? KeylogFile { get; set; }

    /// <summary><c>keylog_peer</c>: <c>udp:ip:port</c> (IPv6 in brackets) to send key log lines to (needed with <see cref="KeylogMode"/> bit 16).</summary>
    public string? KeylogPeer { get; set; }

    /// <summary>Default of <see cref="ClusterRotation"/>: 12 hours, in seconds.</summary>
    public const int DefaultClusterRotation = 12 * 3600;

    /// <summary>Default of <see cref="ClusterLookupTimeout"/>, in milliseconds.</summary>
    public const int DefaultClusterLookupTimeout = 100;

    /// <summary>Default of <see cref="ClusterWindow"/>: the key that seals and two older ones that still open.</summary>
    public const int DefaultClusterWindow = 3;

    /// <summary>Default of <see cref="ClusterKeyPrefix"/>.</summary>
    public const string DefaultClusterKeyPrefix = "openssltls:";

    /// <summary>
    /// <c>cluster_address</c> (an addition, not a Kamailio parameter): the Redis server of the cluster whose nodes share
    /// session-ticket keys and TLS 1.2 session ids, <c>redis://HOST:PORT</c> (<see cref="TlsClusterAddress"/>). Empty or
    /// null: no cluster (the default). This library only carries the value: the host runs the cluster store (serve
    /// does; a .NET host with <c>AddOpenSslTlsRedisCluster()</c> of the <c>OpenSslTls.Cluster.Redis</c> package), and
    /// <c>TlsModule.Create</c> refuses to start when it is set and the host says it acts on none
    /// (<c>TlsModuleHostOptions.HandlesClusterParameters</c>). Read at start-up only.
    /// </summary>
    public string? ClusterAddress { get; set; }

    /// <summary>
    /// <c>cluster_key_file</c> (an addition): the file holding the key-encryption key every node of the cluster shares
    /// (32 bytes, or their hex digits or base64 on one line); needed with <see cref="ClusterAddress"/>. Resolved by
    /// Kamailio's file name rule (<see cref="ResolvePath"/>). Only its name is ever shown, never its contents.
    /// </summary>
    public string? ClusterKeyFile { get; set; }

    /// <summary><c>cluster_rotation</c> (an addition; seconds, 1..2592000): how old the newest ticket key gets before a node makes the next. Default 43200 (12 h).</summary>
    public int ClusterRotation { get; set; } = DefaultClusterRotation;

    /// <summary><c>cluster_window</c> (an addition; 2..16): how many ticket keys the cluster keeps, the newest sealing, the others only opening. Default 3.</summary>
    public int ClusterWindow { get; set; } = DefaultClusterWindow;

    /// <summary><c>cluster_lookup_timeout</c> (an addition; milliseconds, 1..5000): the longest a handshake waits for the cluster on a session-id lookup. Default 100.</summary>
    public int ClusterLookupTimeout { get; set; } = DefaultClusterLookupTimeout;

    /// <summary><c>cluster_key_prefix</c> (an addition; not empty): prefix of the cluster's Redis keys; clusters sharing one Redis need different ones. Default <c>openssltls:</c>.</summary>
    public string ClusterKeyPrefix { get; set; } = DefaultClusterKeyPrefix;

    /// <summary>Whether <see cref="ClusterAddress"/> is set, so the host must run the cluster store.</summary>
    public bool HasCluster => !string.IsNullOrEmpty(ClusterAddress);

    /// <summary>Throws <see cref="TlsConfigurationException"/> listing every parameter out of its range, by Kamailio name.</summary>
    public void Validate()
    {
        List<TlsConfigurationDiagnostic> errors = [];
        foreach (ModuleParameter parameter in ModuleParameters.All)
        {
            if (parameter.Check(this) is { } problem)
            {
                errors.Add(new TlsConfigurationDiagnostic(parameter.Name, 0, 0, problem));
            }
        }

        errors.AddRange(ModuleParameters.CheckCombinations(this, string.Empty));
        errors.AddRange(CheckProfiles());
        if (errors.Count > 0)
        {
            throw new TlsConfigurationException(errors);
        }
    }

    /// <summary>The problems with <see cref="Profiles"/>: the tls.cfg profile rules, and a <c>config</c> set beside them.</summary>
    private IEnumerable<TlsConfigurationDiagnostic> CheckProfiles()
    {
        if (Profiles is null)
        {
            yield return new TlsConfigurationDiagnostic(TlsModuleOptionsReader.ProfilesKey, 0, 0, "Profiles must not be null (an empty list means none)");
            yield break;
        }

        if (Profiles.Count == 0)
        {
            yield break;
        }

        if (!string.IsNullOrEmpty(Config))
        {
            yield return new TlsConfigurationDiagnostic("config", 0, 0,
                $"config ('{Config}') and Profiles ({Profiles.Count}) are both set: profiles come from one place, the tls.cfg file or the list");
        }

        for (int i = 0; i < Profiles.Count; i++)
        {
            if (Profiles[i] is null)
            {
                yield return new TlsConfigurationDiagnostic($"{TlsModuleOptionsReader.ProfilesKey}[{i}]", 0, 0, "a profile must not be null");
                yield break;
            }
        }

        foreach ((int index, string message) in TlsProfileRules.Check(Profiles))
        {
            yield return new TlsConfigurationDiagnostic(Profiles[index].Source ?? $"{TlsModuleOptionsReader.ProfilesKey}[{index}]", 0, 0, message);
        }
    }

    /// <summary>
    /// The modparam-mode template shared by <c>[server:default]</c> and <c>[client:default]</c> (Kamailio uses one
    /// template for both, so outgoing connections present the server certificate), with file names resolved.
    /// </summary>
    public TlsProfileSettings ToProfileSettings()
    {
        string? certificate = ResolveOptional(Certificate);
        return new TlsProfileSettings
        {
            Method = Method,
            Certificate = certificate,
            PrivateKey = ResolveOptional(PrivateKey) ?? certificate,
            PrivateKeyPassword = PrivateKeyPassword,
            CaList = ResolveOptional(CaList),
            CaPath = ResolveOptional(CaPath),
            Crl = ResolveOptional(Crl),
            VerifyCertificate = VerifyCertificate,
            RequireCertificate = RequireCertificate,
            VerifyClient = VerifyClient,
            VerifyDepth = VerifyDepth,
            CipherList = CipherList,
            CipherSuites = CipherSuites,
            Groups = Groups,
            ServerName = ServerName,
        };
    }

    /// <summary>The global tuning every profile's context is built with.</summary>
    public TlsTuning ToTuning() => new()
    {
        DisableCompression = DisableCompression,
        // Kamailio reads both by sign (ssl_read_ahead is documented as a boolean): below 0 OpenSSL's default, 0 off, above 0 on.
        ReleaseBuffers = Math.Sign(ReleaseBuffers),
        FreelistMaxLength = FreelistMaxLength,
        MaxSendFragment = MaxSendFragment,
        ReadAhead = Math.Sign(ReadAhead),
        SessionCache = SessionCache,
        SessionId = SessionId,
        Renegotiation = Renegotiation,
        KeyLogFile = KeyLogPath,
        KeyLogPeer = KeyLogPeerEndPoint,
        KeyLogToLog = KeyLogActive && (KeylogMode & 4) != 0,
        KeyLogFilter = (KeylogMode & 1024) != 0,
        MaxClientHelloBytes = MaxClientHelloBytes,
    };

    /// <summary>
    /// The resolved <c>keylog_file</c> when <c>keylog_mode</c> has bits 1 (install the callback), 2 (active) and 8
    /// (append to the file), as in Kamailio; else null.
    /// </summary>
    public string? KeyLogPath =>
        KeylogFile is { Length: > 0 } file && KeyLogActive && (KeylogMode & 8) != 0 ? ResolvePath(file) : null;

    /// <summary>The <c>keylog_peer</c> address when <c>keylog_mode</c> has bits 1, 2 and 16, as in Kamailio; else null.</summary>
    public System.Net.IPEndPoint? KeyLogPeerEndPoint =>
        KeylogPeer is { Length: > 4 } peer && KeyLogActive && (KeylogMode & 16) != 0
        && ConfigValues.IsKeylogPeer(peer) && System.Net.IPEndPoint.TryParse(peer.AsSpan(4), out System.Net.IPEndPoint? endPoint)
            ? endPoint
            : null;

    /// <summary>
    /// The parameters that are set but have no effect here, each with the reason: <c>keylog_mode</c> without bits 1 and 2,
    /// <c>xavp_cfg</c> (no script engine: see <see cref="OpenSslTls.Profiles.TlsClientOverride"/>), <c>provider_quirks</c>,
    /// <c>provider_quirks_config</c> and <c>init_mode</c>.
    /// </summary>
    public IReadOnlyList<TlsParameterNote> IneffectiveParameters()
    {
        List<TlsParameterNote> notes = [];
        if (KeylogMode != 0 && !KeyLogActive)
        {
            notes.Add(new("keylog_mode", KeylogMode.ToString(CultureInfo.InvariantCulture),
                "key logging needs bits 1 (initialise) and 2 (active) as in Kamailio, so nothing is logged"));
        }

        if (!string.IsNullOrEmpty(XavpConfig))
        {
            notes.Add(new("xavp_cfg", XavpConfig,
                "there is no script engine to set $xavp attributes; pass server_name/server_id per connection with TlsClientOverride (TlsModule.OpenConnection)"));
        }

        if (ProviderQuirks)
        {
            notes.Add(new("provider_quirks", "1",
                "it re-creates a provider in each forked Kamailio worker; this one process loads providers once, which needs no quirk"));
        }

        if (!string.IsNullOrEmpty(ProviderQuirksConfig))
        {
            notes.Add(new("provider_quirks_config", ProviderQuirksConfig,
                "it is read only by provider_quirks; providers come from openssl.cnf (OPENSSL_CONF)"));
        }

        if (InitMode != 0)
        {
            notes.Add(new("init_mode", InitMode.ToString(CultureInfo.InvariantCulture),
                "its bits (memory-function locking, fork preparation) are no-ops in Kamailio with OpenSSL 3 and have nothing to act on in one process"));
        }

        return notes;
    }

    // Kamailio installs the callback on bit 1 and writes anything only while bit 2 is set.
    private bool KeyLogActive => (KeylogMode & 3) == 3;

    /// <summary>New runtime parameters holding <c>connection_timeout</c>, <c>send_close_notify</c> and the queue limits.</summary>
    public TlsRuntimeParameters CreateRuntimeParameters()
    {
        var runtime = new TlsRuntimeParameters();
        ApplyTo(runtime);
        return runtime;
    }

    /// <summary>
    /// Writes the runtime-changeable values (<c>connection_timeout</c>, <c>tcp_connection_lifetime</c>, <c>send_close_notify</c>, the queue limits,
    /// <c>tls_log</c>, <c>tls_debug</c>, the low-memory thresholds and <c>config</c>) into <paramref name="runtime"/>.
    /// </summary>
    public void ApplyTo(TlsRuntimeParameters runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        runtime.ConnectionTimeout = ConnectionTimeout;
        runtime.ConnectionLifetime = ConnectionLifetime;
        runtime.SendCloseNotify = SendCloseNotify;
        runtime.ConnectionClearTextQueueMax = ConnectionClearTextQueueMax;
        runtime.ClearTextQueueMax = ClearTextQueueMax;
        runtime.ClearTextQueueBlockSize = ClearTextQueueBlockSize;
        runtime.LogLevel = LogLevel;
        runtime.DebugLevel = DebugLevel;
        runtime.LowMemoryThreshold1 = LowMemoryThreshold1;
        runtime.LowMemoryThreshold2 = LowMemoryThreshold2;
        runtime.Config = Config;
    }

    /// <summary>
    /// The engine parameters for <see cref="OpenSslEngine.Load"/>, with <c>engine_config</c> resolved as a file name
    /// (unless <c>NONE</c>). Load the engine once, before building profiles, and pass it to <c>TlsProfileSet.Load</c> (<see cref="TlsProfileSetLoading"/>).
    /// </summary>
    public TlsEngineOptions ToEngineOptions() => new()
    {
        Engine = Engine,
        EngineConfig = TlsEngineOptions.IsNone(EngineConfig) ? EngineConfig : ResolvePath(EngineConfig),
        EngineAlgorithms = EngineAlgorithms,
    };

    /// <summary>Writes <c>tls_force_run</c> into the options <see cref="OpenSslRuntime.Initialize"/> takes.</summary>
    public void ApplyTo(OpenSslRuntimeOptions runtimeOptions)
    {
        ArgumentNullException.ThrowIfNull(runtimeOptions);
        runtimeOptions.ForceRun = ForceRun;
    }

    /// <summary>The <see cref="Config"/> file or directory, resolved; <see langword="null"/> in modparam mode.</summary>
    public string? ResolveConfigPath() => ResolveOptional(Config);

    /// <summary>Resolves a file name by Kamailio's rule against <see cref="MainConfigDirectory"/>.</summary>
    public string ResolvePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return KamailioPath.Resolve(path, MainConfigDirectory);
    }

    /// <summary>A copy whose later changes do not affect this instance.</summary>
    public TlsModuleOptions Clone()
    {
        var clone = (TlsModuleOptions)MemberwiseClone();
        // The definitions are immutable records; the list is copied so a caller's later edits do not reach the clone.
        clone.Profiles = Profiles is null ? null! : [.. Profiles];
        return clone;
    }

    /// <summary>Copies every value of <paramref name="source"/> into this instance (readers apply only complete, valid results).</summary>
    internal void CopyFrom(TlsModuleOptions source)
    {
        MainConfigDirectory = source.MainConfigDirectory;
        Method = source.Method;
        Certificate = source.Certificate;
        PrivateKey = source.PrivateKey;
        PrivateKeyPassword = source.PrivateKeyPassword;
        KeyPasswordMode = source.KeyPasswordMode;
        CaList = source.CaList;
        CaPath = source.CaPath;
        Crl = source.Crl;
        VerifyCertificate = source.VerifyCertificate;
        VerifyDepth = source.VerifyDepth;
        RequireCertificate = source.RequireCertificate;
        VerifyClient = source.VerifyClient;
        CipherList = source.CipherList;
        CipherSuites = source.CipherSuites;
        Groups = source.Groups;
        ServerName = source.ServerName;
        ConnectionTimeout = source.ConnectionTimeout;
        ConnectionLifetime = source.ConnectionLifetime;
        DisableCompression = source.DisableCompression;
        ReleaseBuffers = source.ReleaseBuffers;
        FreelistMaxLength = source.FreelistMaxLength;
        MaxSendFragment = source.MaxSendFragment;
        ReadAhead = source.ReadAhead;
        SendCloseNotify = source.SendCloseNotify;
        ConnectionClearTextQueueMax = source.ConnectionClearTextQueueMax;
        ClearTextQueueMax = source.ClearTextQueueMax;
        ClearTextQueueBlockSize = source.ClearTextQueueBlockSize;
        LogLevel = source.LogLevel;
        DebugLevel = source.DebugLevel;
        LowMemoryThreshold1 = source.LowMemoryThreshold1;
        LowMemoryThreshold2 = source.LowMemoryThreshold2;
        ForceRun = source.ForceRun;
        SessionCache = source.SessionCache;
        SessionId = source.SessionId;
        Renegotiation = source.Renegotiation;
        MaxClientHelloBytes = source.MaxClientHelloBytes;
        Config = source.Config;
        Profiles = source.Profiles;
        XavpConfig = source.XavpConfig;
        EventCallback = source.EventCallback;
        RandEngine = source.RandEngine;
        Engine = source.Engine;
        EngineConfig = source.EngineConfig;
        EngineAlgorithms = source.EngineAlgorithms;
        ProviderQuirks = source.ProviderQuirks;
        ProviderQuirksConfig = source.ProviderQuirksConfig;
        InitMode = source.InitMode;
        KeylogMode = source.KeylogMode;
        KeylogFile = source.KeylogFile;
        KeylogPeer = source.KeylogPeer;
        ClusterAddress = source.ClusterAddress;
        ClusterKeyFile = source.ClusterKeyFile;
        ClusterRotation = source.ClusterRotation;
        ClusterWindow = source.ClusterWindow;
        ClusterLookupTimeout = source.ClusterLookupTimeout;
        ClusterKeyPrefix = source.ClusterKeyPrefix;
    }

    private string? ResolveOptional(string? path) => string.IsNullOrEmpty(path) ? null : ResolvePath(path);
}
