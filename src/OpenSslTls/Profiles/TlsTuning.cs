using OpenSslTls.Interop;

namespace OpenSslTls.Profiles;

/// <summary>
/// The module-wide parameters applied to every profile's <c>SSL_CTX</c> when it is built (Kamailio's global
/// modparams). Names follow the Kamailio parameters; <see cref="Validate"/> enforces their ranges.
/// </summary>
public sealed record TlsTuning
{
    /// <summary>Maximum length of <see cref="SessionId"/> (OpenSSL's <c>SSL_MAX_SID_CTX_LENGTH</c>).</summary>
    public const int MaxSessionIdLength = 32;

    /// <summary>
    /// <c>tls_disable_compression</c>: accepted for compatibility. TLS compression is always refused (CRIME); as in Kamailio
    /// with OpenSSL ≥ 1.1, 0 has no effect (logged once). Default on.
    /// </summary>
    public bool DisableCompression { get; init; } = true;

    /// <summary><c>ssl_release_buffers</c>: 1 frees idle record buffers (<c>SSL_MODE_RELEASE_BUFFERS</c>), 0 keeps them, -1 leaves OpenSSL's default.</summary>
    public int ReleaseBuffers { get; init; } = 1;

    /// <summary><c>ssl_freelist_max_len</c>: accepted for compatibility; OpenSSL ≥ 1.1 has no freelists, so it has no effect.</summary>
    public int FreelistMaxLength { get; init; }

    /// <summary><c>ssl_max_send_fragment</c>: largest plaintext per record, 512..16384, or -1 for OpenSSL's 16384.</summary>
    public int MaxSendFragment { get; init; } = -1;

    /// <summary><c>ssl_read_ahead</c>: 1 lets OpenSSL read beyond the current record, 0 off, -1 OpenSSL's default.</summary>
    public int ReadAhead { get; init; }

    /// <summary><c>session_cache</c>: server-side session resumption (session cache and tickets). Off: no resumption.</summary>
    public bool SessionCache { get; init; }

    /// <summary><c>session_id</c>: the session id context, at most 32 bytes of UTF-8.</summary>
    public string SessionId { get; init; } = "openssltls";

    /// <summary>
    /// The longest ClientHello a server connection accepts, in bytes (the handshake message's declared length), checked
    /// on the first bytes before any <c>SSL</c> is created, so a peer cannot make OpenSSL reserve a large buffer for a
    /// hello it never sends. Default 16384: far above real hellos, post-quantum key shares included (~1.9 KB). Not a
    /// Kamailio parameter. 512..16777215.
    /// </summary>
    public int MaxClientHelloBytes { get; init; } = DefaultMaxClientHelloBytes;

    /// <summary>The default of <see cref="MaxClientHelloBytes"/>.</summary>
    public const int DefaultMaxClientHelloBytes = 16384;

    /// <summary><c>renegotiation</c>: allow client-initiated renegotiation on TLS ≤ 1.2. Off: refused with a no_renegotiation alert.</summary>
    public bool Renegotiation { get; init; }

    /// <summary>
    /// The NSS key log file every context built with this tuning appends its session secrets to (Kamailio's
    /// <c>keylog_file</c> with <c>keylog_mode</c> bits 1, 2 and 8), or null for none. Created with mode 0600; a profile
    /// fails to build when the file exists as a symbolic link, with group or other permission bits, or owned by another user.
    /// </summary>
    public string? KeyLogFile { get; init; }

    /// <summary>
    /// Where every context built with this tuning sends its key-log lines, one UDP datagram per line without the newline
    /// (Kamailio's <c>keylog_peer</c> with <c>keylog_mode</c> bits 1, 2 and 16), or null for nowhere.
    /// </summary>
    public System.Net.IPEndPoint? KeyLogPeer { get; init; }

    /// <summary>
    /// Whether every key-log line is also logged, at information level as <c>tlskeylog: LINE</c> (Kamailio's
    /// <c>keylog_mode</c> bit 4, logged at NOTICE). The log then holds session secrets.
    /// </summary>
    public bool KeyLogToLog { get; init; }

    /// <summary>
    /// Whether only the lines labelled CLIENT_RANDOM, CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET,
    /// EXPORTER_SECRET, CLIENT_TRAFFIC_SECRET_0 or SERVER_TRAFFIC_SECRET_0 are logged (Kamailio's <c>keylog_mode</c>
    /// bit 1024, as its documentation describes it). Applies to every destination.
    /// </summary>
    public bool KeyLogFilter { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first parameter outside its range.</summary>
    public void Validate()
    {
        if (ReleaseBuffers is < -1 or > 1)
        {
            throw new ArgumentException($"ssl_release_buffers must be -1, 0 or 1, not {ReleaseBuffers}");
        }

        if (FreelistMaxLength is < -1 or > (1 << 30))
        {
            throw new ArgumentException($"ssl_freelist_max_len must be -1..{1 << 30}, not {FreelistMaxLength}");
        }

        if (MaxSendFragment != -1 && MaxSendFragment is < 512 or > 16384)
        {
            throw new ArgumentException($"ssl_max_send_fragment must be -1 or 512..16384, not {MaxSendFragment}");
        }

        if (ReadAhead is < -1 or > 1)
        {
            throw new ArgumentException($"ssl_read_ahead must be -1, 0 or 1, not {ReadAhead}");
        }

        if (MaxClientHelloBytes is < 512 or > 0xFFFFFF)
        {
            throw new ArgumentException($"max_client_hello_bytes must be 512..{0xFFFFFF}, not {MaxClientHelloBytes}");
        }

        if (SessionId is null || System.Text.Encoding.UTF8.GetByteCount(SessionId) > MaxSessionIdLength)
        {
            throw new ArgumentException($"session_id must be at most {MaxSessionIdLength} bytes, not '{SessionId}'");
        }
    }
}
