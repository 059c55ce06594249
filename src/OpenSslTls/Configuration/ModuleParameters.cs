using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;

namespace OpenSslTls.Configuration;

/// <summary>The table of every <c>modparam("tls", …)</c> parameter (Kamailio names), in the order of Kamailio's documentation.</summary>
internal static class ModuleParameters
{
    /// <summary>The <c>keylog_mode</c> bits Kamailio knows: 1 init, 2 active, 4 log, 8 file, 16 UDP peer, 1024 filter.</summary>
    internal const int KeylogModeBits = 1 | 2 | 4 | 8 | 16 | 1024;

    /// <summary>The name of the idle limit after the first application data: Kamailio's core <c>tcp_connection_lifetime</c>.</summary>
    internal const string ConnectionLifetimeName = "tcp_connection_lifetime";

    /// <summary>The cluster's Redis server (our addition).</summary>
    internal const string ClusterAddressName = "cluster_address";

    /// <summary>The cluster's key-encryption key file (our addition).</summary>
    internal const string ClusterKeyFileName = "cluster_key_file";

    private const int KeylogToFile = 8;
    private const int KeylogToPeer = 16;

    internal static IReadOnlyList<ModuleParameter> All { get; } =
    [
        ModuleParameter.String("tls_method", o => ConfigValues.MethodName(o.Method), (o, v) => o.Method = TlsMethodNames.Parse(v!),
            v => TlsMethodNames.TryParse(v, out _) ? null : $"tls_method must be one of {ConfigValues.MethodNames}, not '{v}'"),
        Path("certificate", o => o.Certificate, (o, v) => o.Certificate = v),
        Path("private_key", o => o.PrivateKey, (o, v) => o.PrivateKey = v),
        Text("private_key_password", o => o.PrivateKeyPassword, (o, v) => o.PrivateKeyPassword = v),
        ModuleParameter.Integer("key_password_mode", o => o.KeyPasswordMode, (o, v) => o.KeyPasswordMode = v, v => v == 1
            ? "key_password_mode 1 (ask for the key password on the terminal at start-up) is not supported: a library or service has no terminal to ask on; set private_key_password (modparam or per profile) and use mode 0"
            : Range("key_password_mode", v, 0, 0)),
        Path("ca_list", o => o.CaList, (o, v) => o.CaList = v),
        Path("ca_path", o => o.CaPath, (o, v) => o.CaPath = v),
        Path("crl", o => o.Crl, (o, v) => o.Crl = v),
        ModuleParameter.Boolean("verify_certificate", o => o.VerifyCertificate, (o, v) => o.VerifyCertificate = v),
        ModuleParameter.Integer("verify_depth", o => o.VerifyDepth, (o, v) => o.VerifyDepth = v, v => Range("verify_depth", v, 0, 100)),
        ModuleParameter.Boolean("require_certificate", o => o.RequireCertificate, (o, v) => o.RequireCertificate = v),
        ModuleParameter.String("verify_client", o => ConfigValues.VerifyClientName(o.VerifyClient),
            (o, v) => o.VerifyClient = ConfigValues.TryParseVerifyClient(v!, out VerifyClientMode mode) ? mode : o.VerifyClient,
            v => v is not null && ConfigValues.TryParseVerifyClient(v, out _) ? null : $"verify_client must be one of {ConfigValues.VerifyClientNames}, not '{v}'"),
        Text("cipher_list", o => o.CipherList, (o, v) => o.CipherList = v),
        Text("cipher_suites", o => o.CipherSuites, (o, v) => o.CipherSuites = v),
        Text("groups", o => o.Groups, (o, v) => o.Groups = v),
        Text("server_name", o => o.ServerName, (o, v) => o.ServerName = v),
        ModuleParameter.Integer("connection_timeout", o => o.ConnectionTimeout, (o, v) => o.ConnectionTimeout = v, v => Range("connection_timeout", v, -1, int.MaxValue)),

        // Kamailio's core parameter (tcp_connection_lifetime=N in kamailio.cfg, also read so); a module parameter here.
        ModuleParameter.Integer(ConnectionLifetimeName, o => o.ConnectionLifetime, (o, v) => o.ConnectionLifetime = v, v => Range(ConnectionLifetimeName, v, -1, int.MaxValue)),
        ModuleParameter.Boolean("tls_disable_compression", o => o.DisableCompression, (o, v) => o.DisableCompression = v),
        // Kamailio tests these two by sign: below 0 leaves OpenSSL's default, 0 is off, above 0 is on.
        ModuleParameter.Integer("ssl_release_buffers", o => o.ReleaseBuffers, (o, v) => o.ReleaseBuffers = v, _ => null),
        ModuleParameter.Integer("ssl_freelist_max_len", o => o.FreelistMaxLength, (o, v) => o.FreelistMaxLength = v, v => Range("ssl_freelist_max_len", v, -1, 1 << 30)),
        ModuleParameter.Integer("ssl_max_send_fragment", o => o.MaxSendFragment, (o, v) => o.MaxSendFragment = v,
            v => v == -1 || v is >= 512 and <= 16384 ? null : $"ssl_max_send_fragment must be -1 or 512..16384, not {v}"),
        ModuleParameter.Integer("ssl_read_ahead", o => o.ReadAhead, (o, v) => o.ReadAhead = v, _ => null),
        ModuleParameter.Boolean("send_close_notify", o => o.SendCloseNotify, (o, v) => o.SendCloseNotify = v),
        ModuleParameter.Integer("con_ct_wq_max", o => o.ConnectionClearTextQueueMax, (o, v) => o.ConnectionClearTextQueueMax = v,
            v => Range("con_ct_wq_max", v, 0, TlsRuntimeParameters.MaxConnectionQueueBytes)),
        ModuleParameter.Integer("ct_wq_max", o => o.ClearTextQueueMax, (o, v) => o.ClearTextQueueMax = v,
            v => Range("ct_wq_max", v, 0, TlsRuntimeParameters.MaxTotalQueueBytes)),
        ModuleParameter.Integer("ct_wq_blk_size", o => o.ClearTextQueueBlockSize, (o, v) => o.ClearTextQueueBlockSize = v, v => Range("ct_wq_blk_size", v, 1, 65536)),
        ModuleParameter.Integer("tls_log", o => o.LogLevel, (o, v) => o.LogLevel = v, v => Range("tls_log", v, -5, 1000)),
        ModuleParameter.Integer("tls_debug", o => o.DebugLevel, (o, v) => o.DebugLevel = v, v => Range("tls_debug", v, -5, 1000)),
        ModuleParameter.Integer("low_mem_threshold1", o => o.LowMemoryThreshold1, (o, v) => o.LowMemoryThreshold1 = v, v => Range("low_mem_threshold1", v, -1, int.MaxValue)),
        ModuleParameter.Integer("low_mem_threshold2", o => o.LowMemoryThreshold2, (o, v) => o.LowMemoryThreshold2 = v, v => Range("low_mem_threshold2", v, -1, int.MaxValue)),
        ModuleParameter.Boolean("tls_force_run", o => o.ForceRun, (o, v) => o.ForceRun = v),
        ModuleParameter.Boolean("session_cache", o => o.SessionCache, (o, v) => o.SessionCache = v),
        ModuleParameter.String("session_id", o => o.SessionId, (o, v) => o.SessionId = v!,
            v => v is null ? "session_id must be set"
                : System.Text.Encoding.UTF8.GetByteCount(v) > TlsTuning.MaxSessionIdLength
                    ? $"session_id must be at most {TlsTuning.MaxSessionIdLength} bytes, not '{v}'"
                    : null),
        ModuleParameter.Boolean("renegotiation", o => o.Renegotiation, (o, v) => o.Renegotiation = v),
        Path("config", o => o.Config, (o, v) => o.Config = v),
        Text("xavp_cfg", o => o.XavpConfig, (o, v) => o.XavpConfig = v),
        Text("event_callback", o => o.EventCallback, (o, v) => o.EventCallback = v),
        ModuleParameter.String("rand_engine", o => o.RandEngine, (o, v) => o.RandEngine = string.IsNullOrEmpty(v) ? null : v,
            v => RandEngineProblem(v)),
        Required("engine", o => o.Engine, (o, v) => o.Engine = v),
        Required("engine_config", o => o.EngineConfig, (o, v) => o.EngineConfig = v),
        Required("engine_algorithms", o => o.EngineAlgorithms, (o, v) => o.EngineAlgorithms = v),
        ModuleParameter.Boolean("provider_quirks", o => o.ProviderQuirks, (o, v) => o.ProviderQuirks = v),
        Path("provider_quirks_config", o => o.ProviderQuirksConfig, (o, v) => o.ProviderQuirksConfig = v),
        ModuleParameter.Integer("init_mode", o => o.InitMode, (o, v) => o.InitMode = v, v => Range("init_mode", v, 0, 3)),
        ModuleParameter.Integer("keylog_mode", o => o.KeylogMode, (o, v) => o.KeylogMode = v,
            v => v >= 0 && (v & ~KeylogModeBits) == 0 ? null : $"keylog_mode must combine the bits 1, 2, 4, 8, 16 and 1024, not {v}"),
        Path("keylog_file", o => o.KeylogFile, (o, v) => o.KeylogFile = v),
        ModuleParameter.String("keylog_peer", o => o.KeylogPeer, (o, v) => o.KeylogPeer = string.IsNullOrEmpty(v) ? null : v,
            v => string.IsNullOrEmpty(v) || ConfigValues.IsKeylogPeer(v) ? null : $"keylog_peer must be udp:ip:port, not '{v}'"),

        // Our additions (not Kamailio's): the cluster store, which the host runs (the library carries the values).
        ModuleParameter.String(ClusterAddressName, o => o.ClusterAddress, (o, v) => o.ClusterAddress = string.IsNullOrEmpty(v) ? null : v,
            v => string.IsNullOrEmpty(v) || TlsClusterAddress.Parse(v) is not null ? null : $"{ClusterAddressName} must be {TlsClusterAddress.Expected}, not '{v}'"),
        Path(ClusterKeyFileName, o => o.ClusterKeyFile, (o, v) => o.ClusterKeyFile = v),
        ModuleParameter.Integer("cluster_rotation", o => o.ClusterRotation, (o, v) => o.ClusterRotation = v, v => Range("cluster_rotation", v, 1, 30 * 24 * 3600)),
        ModuleParameter.Integer("cluster_window", o => o.ClusterWindow, (o, v) => o.ClusterWindow = v, v => Range("cluster_window", v, 2, 16)),
        ModuleParameter.Integer("cluster_lookup_timeout", o => o.ClusterLookupTimeout, (o, v) => o.ClusterLookupTimeout = v, v => Range("cluster_lookup_timeout", v, 1, 5000)),
        Required("cluster_key_prefix", o => o.ClusterKeyPrefix, (o, v) => o.ClusterKeyPrefix = v),
    ];

    /// <summary>The cluster parameters (our additions): read at start-up by the host that runs the cluster store.</summary>
    internal static readonly string[] ClusterNames = [ClusterAddressName, ClusterKeyFileName, "cluster_rotation", "cluster_window", "cluster_lookup_timeout", "cluster_key_prefix"];

    // Declared after All: static initializers run in text order.
    private static readonly Dictionary<string, ModuleParameter> ByName = All.ToDictionary(parameter => parameter.Name, StringComparer.Ordinal);

    internal static bool TryGet(string name, out ModuleParameter parameter) => ByName.TryGetValue(name, out parameter!);

    /// <summary>The parameter whose name differs from <paramref name="name"/> only in case, for "did you mean" hints.</summary>
    internal static string? SuggestionFor(string name) =>
        All.FirstOrDefault(parameter => string.Equals(parameter.Name, name, StringComparison.OrdinalIgnoreCase))?.Name;

    /// <summary>Rules that involve two parameters, reported against <paramref name="place"/>.</summary>
    internal static IEnumerable<TlsConfigurationDiagnostic> CheckCombinations(TlsModuleOptions options, string place)
    {
        if ((options.KeylogMode & KeylogToFile) != 0 && string.IsNullOrEmpty(options.KeylogFile))
        {
            yield return new TlsConfigurationDiagnostic(place.Length == 0 ? "keylog_mode" : place, 0, 0,
                "keylog_mode has bit 8 (append to keylog_file) but keylog_file is not set");
        }

        if ((options.KeylogMode & KeylogToPeer) != 0 && string.IsNullOrEmpty(options.KeylogPeer))
        {
            yield return new TlsConfigurationDiagnostic(place.Length == 0 ? "keylog_mode" : place, 0, 0,
                "keylog_mode has bit 16 (send to keylog_peer) but keylog_peer is not set");
        }

        if (options.HasCluster && string.IsNullOrEmpty(options.ClusterKeyFile))
        {
            yield return new TlsConfigurationDiagnostic(place.Length == 0 ? ClusterAddressName : place, 0, 0,
                $"{ClusterAddressName} is set but {ClusterKeyFileName} is not: the key file holds the key-encryption key every node of the cluster shares");
        }

        if (!options.HasCluster && !string.IsNullOrEmpty(options.ClusterKeyFile))
        {
            yield return new TlsConfigurationDiagnostic(place.Length == 0 ? ClusterKeyFileName : place, 0, 0,
                $"{ClusterKeyFileName} is set but {ClusterAddressName} is not: the key file is for a cluster, and none is configured");
        }
    }

    private static string? Range(string name, int value, int min, int max) =>
        value < min || value > max ? $"{name} must be {min}..{max}, not {value}" : null;

    /// <summary>An optional file name; an empty value unsets it.</summary>
    private static ModuleParameter Path(string name, Func<TlsModuleOptions, string?> get, Action<TlsModuleOptions, string?> set) =>
        Text(name, get, set);

    /// <summary>An optional string; an empty value unsets it.</summary>
    private static ModuleParameter Text(string name, Func<TlsModuleOptions, string?> get, Action<TlsModuleOptions, string?> set) =>
        ModuleParameter.String(name, get, (o, v) => set(o, string.IsNullOrEmpty(v) ? null : v), _ => null);

    /// <summary>A string that must not be empty.</summary>
    private static ModuleParameter Required(string name, Func<TlsModuleOptions, string> get, Action<TlsModuleOptions, string> set) =>
        ModuleParameter.String(name, get, (o, v) => set(o, v!), v => string.IsNullOrEmpty(v) ? $"{name} must not be empty" : null);

    /// <summary>rand_engine is checked by the generator setup itself, so config validation and start-up agree (krand/fastrand refused).</summary>
    private static string? RandEngineProblem(string? value)
    {
        try
        {
            OpenSslRandom.Parse(value);
            return null;
        }
        catch (TlsEngineException e)
        {
            return e.Message;
        }
    }
}
