using OpenSslTls.Profiles;

namespace OpenSslTls.Configuration;

/// <summary>
/// The .NET property names configuration may use beside the Kamailio names (<c>VerifyDepth</c> for
/// <c>verify_depth</c>), so a section written for <c>Configure&lt;TlsModuleOptions&gt;</c> binds too. A .NET name only
/// leads to its Kamailio parameter or tls.cfg key: the value is then read and checked by exactly the same rules.
/// </summary>
internal static class OptionPropertyNames
{
    /// <summary><see cref="TlsModuleOptions"/> property to modparam name.</summary>
    internal static IReadOnlyDictionary<string, string> ModuleParameters { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(TlsModuleOptions.Method)] = "tls_method",
        [nameof(TlsModuleOptions.Certificate)] = "certificate",
        [nameof(TlsModuleOptions.PrivateKey)] = "private_key",
        [nameof(TlsModuleOptions.PrivateKeyPassword)] = "private_key_password",
        [nameof(TlsModuleOptions.KeyPasswordMode)] = "key_password_mode",
        [nameof(TlsModuleOptions.CaList)] = "ca_list",
        [nameof(TlsModuleOptions.CaPath)] = "ca_path",
        [nameof(TlsModuleOptions.Crl)] = "crl",
        [nameof(TlsModuleOptions.VerifyCertificate)] = "verify_certificate",
        [nameof(TlsModuleOptions.VerifyDepth)] = "verify_depth",
        [nameof(TlsModuleOptions.RequireCertificate)] = "require_certificate",
        [nameof(TlsModuleOptions.VerifyClient)] = "verify_client",
        [nameof(TlsModuleOptions.CipherList)] = "cipher_list",
        [nameof(TlsModuleOptions.CipherSuites)] = "cipher_suites",
        [nameof(TlsModuleOptions.Groups)] = "groups",
        [nameof(TlsModuleOptions.ServerName)] = "server_name",
        [nameof(TlsModuleOptions.ConnectionTimeout)] = "connection_timeout",
        [nameof(TlsModuleOptions.ConnectionLifetime)] = Configuration.ModuleParameters.ConnectionLifetimeName,
        [nameof(TlsModuleOptions.DisableCompression)] = "tls_disable_compression",
        [nameof(TlsModuleOptions.ReleaseBuffers)] = "ssl_release_buffers",
        [nameof(TlsModuleOptions.FreelistMaxLength)] = "ssl_freelist_max_len",
        [nameof(TlsModuleOptions.MaxSendFragment)] = "ssl_max_send_fragment",
        [nameof(TlsModuleOptions.ReadAhead)] = "ssl_read_ahead",
        [nameof(TlsModuleOptions.SendCloseNotify)] = "send_close_notify",
        [nameof(TlsModuleOptions.ConnectionClearTextQueueMax)] = "con_ct_wq_max",
        [nameof(TlsModuleOptions.ClearTextQueueMax)] = "ct_wq_max",
        [nameof(TlsModuleOptions.ClearTextQueueBlockSize)] = "ct_wq_blk_size",
        [nameof(TlsModuleOptions.LogLevel)] = "tls_log",
        [nameof(TlsModuleOptions.DebugLevel)] = "tls_debug",
        [nameof(TlsModuleOptions.LowMemoryThreshold1)] = "low_mem_threshold1",
        [nameof(TlsModuleOptions.LowMemoryThreshold2)] = "low_mem_threshold2",
        [nameof(TlsModuleOptions.ForceRun)] = "tls_force_run",
        [nameof(TlsModuleOptions.SessionCache)] = "session_cache",
        [nameof(TlsModuleOptions.SessionId)] = "session_id",
        [nameof(TlsModuleOptions.Renegotiation)] = "renegotiation",
        [nameof(TlsModuleOptions.Config)] = "config",
        [nameof(TlsModuleOptions.XavpConfig)] = "xavp_cfg",
        [nameof(TlsModuleOptions.EventCallback)] = "event_callback",
        [nameof(TlsModuleOptions.RandEngine)] = "rand_engine",
        [nameof(TlsModuleOptions.Engine)] = "engine",
        [nameof(TlsModuleOptions.EngineConfig)] = "engine_config",
        [nameof(TlsModuleOptions.EngineAlgorithms)] = "engine_algorithms",
        [nameof(TlsModuleOptions.ProviderQuirks)] = "provider_quirks",
        [nameof(TlsModuleOptions.ProviderQuirksConfig)] = "provider_quirks_config",
        [nameof(TlsModuleOptions.InitMode)] = "init_mode",
        [nameof(TlsModuleOptions.KeylogMode)] = "keylog_mode",
        [nameof(TlsModuleOptions.KeylogFile)] = "keylog_file",
        [nameof(TlsModuleOptions.KeylogPeer)] = "keylog_peer",
        [nameof(TlsModuleOptions.ClusterAddress)] = "cluster_address",
        [nameof(TlsModuleOptions.ClusterKeyFile)] = "cluster_key_file",
        [nameof(TlsModuleOptions.ClusterRotation)] = "cluster_rotation",
        [nameof(TlsModuleOptions.ClusterWindow)] = "cluster_window",
        [nameof(TlsModuleOptions.ClusterLookupTimeout)] = "cluster_lookup_timeout",
        [nameof(TlsModuleOptions.ClusterKeyPrefix)] = "cluster_key_prefix",
    };

    /// <summary><see cref="TlsProfileSettings"/> property to tls.cfg key (the canonical name <c>ProfileKeys</c> knows).</summary>
    internal static IReadOnlyDictionary<string, string> ProfileKeys { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(TlsProfileSettings.Method)] = "method",
        [nameof(TlsProfileSettings.VerifyCertificate)] = "verify_certificate",
        [nameof(TlsProfileSettings.VerifyDepth)] = "verify_depth",
        [nameof(TlsProfileSettings.RequireCertificate)] = "require_certificate",
        [nameof(TlsProfileSettings.VerifyHostname)] = "verify_hostname",
        [nameof(TlsProfileSettings.VerifyClient)] = "verify_client",
        [nameof(TlsProfileSettings.Certificate)] = "certificate",
        [nameof(TlsProfileSettings.PrivateKey)] = "private_key",
        [nameof(TlsProfileSettings.PrivateKeyPassword)] = "private_key_password",
        [nameof(TlsProfileSettings.CaList)] = "ca_list",
        [nameof(TlsProfileSettings.CaPath)] = "ca_path",
        [nameof(TlsProfileSettings.Crl)] = "crl",
        [nameof(TlsProfileSettings.CipherList)] = "cipher_list",
        [nameof(TlsProfileSettings.CipherSuites)] = "cipher_suites",
        [nameof(TlsProfileSettings.Groups)] = "groups",
        [nameof(TlsProfileSettings.ServerName)] = "server_name",
        [nameof(TlsProfileSettings.ServerNameMode)] = "server_name_mode",
        [nameof(TlsProfileSettings.ServerId)] = "server_id",
        [nameof(TlsProfileSettings.Certificate2)] = "certificate2",
        [nameof(TlsProfileSettings.PrivateKey2)] = "private_key2",
        [nameof(TlsProfileSettings.PrivateKeyPassword2)] = "private_key_password2",
    };
}
