namespace OpenSslTls.Profiles;

/// <summary>
/// The parameters Kamailio lets operators change while running (<c>cfg.set_now_int tls …</c>). Connections read
/// them at the moment they use them, so a change applies to existing connections at once. Setters validate and
/// throw <see cref="ArgumentOutOfRangeException"/> naming the parameter.
/// </summary>
public sealed class TlsRuntimeParameters
{
    /// <summary>Largest <c>con_ct_wq_max</c>: 4 MiB.</summary>
    public const int MaxConnectionQueueBytes = 4 * 1024 * 1024;

    /// <summary>Largest <c>ct_wq_max</c>: 1 GiB.</summary>
    public const int MaxTotalQueueBytes = 1 << 30;

    private volatile bool _sendCloseNotify;
    private int _connectionQueueMax = 65536;
    private int _totalQueueMax = 10 * 1024 * 1024;
    private int _queueBlockSize = 4096;
    private int _connectionTimeout = 600;
    private int _connectionLifetime = DefaultConnectionLifetime;
    private long _queuedBytes;
    private int _logLevel = 3;
    private int _debugLevel = 3;
    private int _lowMemoryThreshold1 = -1;
    private int _lowMemoryThreshold2 = -1;
    private volatile string? _config;

    /// <summary>
    /// The session-ticket keys every server profile built with these parameters seals and opens tickets with (when
    /// <c>session_cache</c> is on), instead of OpenSSL's random keys per context, which every reload replaces. Read when
    /// a profile is built: a change applies from the next reload. Null (the default): OpenSSL's own keys. Not a
    /// Kamailio parameter.
    /// </summary>
    public TlsTicketKeyRing? TicketKeys { get; set; }

    /// <summary>
    /// The cache of TLS 1.2 session ids every server profile built with these parameters uses (when
    /// <c>session_cache</c> is on) instead of OpenSSL's internal cache per context: a cluster's shared store. Read when a
    /// profile is built: a change applies from the next reload. Null (the default): OpenSSL's internal cache. Not a
    /// Kamailio parameter.
    /// </summary>
    public TlsSessionStore? SessionStore { get; set; }

    /// <summary><c>send_close_notify</c>: send a close_notify alert when a connection is closed. Default off.</summary>
    public bool SendCloseNotify
    {
        get => _sendCloseNotify;
        set => _sendCloseNotify = value;
    }

    /// <summary><c>con_ct_wq_max</c>: bytes of clear text one connection may queue before its handshake completes (0..4 MiB, default 65536).</summary>
    public int ConnectionClearTextQueueMax
    {
        get => Volatile.Read(ref _connectionQueueMax);
        set => Volatile.Write(ref _connectionQueueMax, InRange(value, 0, MaxConnectionQueueBytes, "con_ct_wq_max"));
    }

    /// <summary><c>ct_wq_max</c>: bytes of clear text all connections together may queue (0..1 GiB, default 10 MiB).</summary>
    public int ClearTextQueueMax
    {
        get => Volatile.Read(ref _totalQueueMax);
        set => Volatile.Write(ref _totalQueueMax, InRange(value, 0, MaxTotalQueueBytes, "ct_wq_max"));
    }

    /// <summary><c>ct_wq_blk_size</c>: the smallest block the clear-text queue allocates (1..65536, default 4096).</summary>
    public int ClearTextQueueBlockSize
    {
        get => Volatile.Read(ref _queueBlockSize);
        set => Volatile.Write(ref _queueBlockSize, InRange(value, 1, 65536, "ct_wq_blk_size"));
    }

    /// <summary>The default of <see cref="ConnectionLifetime"/>: 120 s, Kamailio's core default.</summary>
    public const int DefaultConnectionLifetime = 120;

    /// <summary>
    /// <c>connection_timeout</c>: seconds a connection may stay idle while no application data has passed yet (only
    /// TLS handshake bytes, or nothing at all since it was opened); once data has passed either way,
    /// <see cref="ConnectionLifetime"/> governs instead. 0 expires such a connection at the next sweep; -1 never
    /// (default 600).
    /// </summary>
    public int ConnectionTimeout
    {
        get => Volatile.Read(ref _connectionTimeout);
        set => Volatile.Write(ref _connectionTimeout, InRange(value, -1, int.MaxValue, "connection_timeout"));
    }

    /// <summary>
    /// <c>tcp_connection_lifetime</c> (Kamailio's core parameter, here one of the module's): seconds a connection may
    /// stay idle after application data has passed on it (received or sent, queued included); every later read or
    /// write starts the wait again. -1 never expires (default 120, Kamailio's).
    /// </summary>
    public int ConnectionLifetime
    {
        get => Volatile.Read(ref _connectionLifetime);
        set => Volatile.Write(ref _connectionLifetime, InRange(value, -1, int.MaxValue, "tcp_connection_lifetime"));
    }

    /// <summary><c>tls_log</c>: Kamailio log level (-5..3+) at which connection facts and verify failures are logged (default 3, debug).</summary>
    public int LogLevel
    {
        get => Volatile.Read(ref _logLevel);
        set => Volatile.Write(ref _logLevel, InRange(value, -5, 1000, "tls_log"));
    }

    /// <summary><c>tls_debug</c>: Kamailio log level of the library's debug traces (default 3, debug).</summary>
    public int DebugLevel
    {
        get => Volatile.Read(ref _debugLevel);
        set => Volatile.Write(ref _debugLevel, InRange(value, -5, 1000, "tls_debug"));
    }

    /// <summary>
    /// <c>low_mem_threshold1</c> in kilobytes: below this much available memory new connections are refused.
    /// -1 uses the default (512 KB per processor), 0 turns the check off.
    /// </summary>
    public int LowMemoryThreshold1
    {
        get => Volatile.Read(ref _lowMemoryThreshold1);
        set => Volatile.Write(ref _lowMemoryThreshold1, InRange(value, -1, int.MaxValue, "low_mem_threshold1"));
    }

    /// <summary>
    /// <c>low_mem_threshold2</c> in kilobytes: below this much available memory I/O on existing connections fails.
    /// -1 uses the default (256 KB per processor), 0 turns the check off.
    /// </summary>
    public int LowMemoryThreshold2
    {
        get => Volatile.Read(ref _lowMemoryThreshold2);
        set => Volatile.Write(ref _lowMemoryThreshold2, InRange(value, -1, int.MaxValue, "low_mem_threshold2"));
    }

    /// <summary><c>config</c>: the tls.cfg file or directory; a change takes effect at the next reload.</summary>
    public string? Config
    {
        get => _config;
        set => _config = value;
    }

    /// <summary>
    /// The idle limit in seconds of a connection (-1: none): <see cref="ConnectionLifetime"/> once application data
    /// has passed on it, else <see cref="ConnectionTimeout"/>.
    /// </summary>
    internal int IdleLimitSeconds(bool carriedApplicationData) => carriedApplicationData ? ConnectionLifetime : ConnectionTimeout;

    /// <summary>The threshold-1 value in kilobytes with -1 resolved to its default; 0 when off.</summary>
    internal long EffectiveThreshold1Kilobytes => Effective(LowMemoryThreshold1, 512);

    /// <summary>The threshold-2 value in kilobytes with -1 resolved to its default; 0 when off.</summary>
    internal long EffectiveThreshold2Kilobytes => Effective(LowMemoryThreshold2, 256);

    /// <summary>Clear-text bytes queued by all connections right now (Kamailio's <c>clear_text_write_queued_bytes</c>).</summary>
    public long ClearTextQueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Reserves <paramref name="count"/> bytes of the global queue budget; false when it would exceed <see cref="ClearTextQueueMax"/>.</summary>
    internal bool TryReserveQueueBytes(int count)
    {
        long limit = ClearTextQueueMax;
        while (true)
        {
            long current = Interlocked.Read(ref _queuedBytes);
            if (current + count > limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _queuedBytes, current + count, current) == current)
            {
                return true;
            }
        }
    }

    internal void ReleaseQueueBytes(long count) => Interlocked.Add(ref _queuedBytes, -count);

    private static long Effective(int value, int perProcessorKilobytes) =>
        value == -1 ? (long)perProcessorKilobytes * Environment.ProcessorCount : value;

    private static int InRange(int value, int min, int max, string name) =>
        value < min || value > max
            ? throw new ArgumentOutOfRangeException(name, value, $"{name} must be {min}..{max}, not {value}")
            : value;
}
