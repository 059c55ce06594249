using OpenSslTls.Interop;

namespace OpenSslTls.Benchmarks;

/// <summary>
/// One measured scenario. <see cref="Id"/> is the name the C harness (native/bench/tlsbench.c) uses for the same
/// scenario, so the three implementations line up by id.
/// </summary>
public sealed record Scenario(string Id, string Title, ScenarioKind Kind)
{
    public TlsVersion Version { get; init; } = TlsVersion.Tls13;

    public ServerKey Key { get; init; } = ServerKey.P256;

    public ResumptionMode? Resumption { get; init; }

    public RecordCipher Cipher { get; init; } = RecordCipher.Aes128Gcm;

    /// <summary>Plaintext bytes per message (record scenarios).</summary>
    public int Size { get; init; }

    /// <summary>
    /// The one key exchange group both sides allow (the <c>groups</c> profile key; the client's only key share), or
    /// null for OpenSSL's default list.
    /// </summary>
    public string? Group { get; init; }

    /// <summary><c>ssl_release_buffers</c> on the server (idle scenarios; everything else uses the default, 1).</summary>
    public int ReleaseBuffers { get; init; } = 1;

    public string Unit => Kind switch
    {
        ScenarioKind.Record => "MB/s",
        ScenarioKind.Idle => "B/conn",
        _ => "handshakes/s",
    };

    /// <summary>Whether a larger figure is better (rates) or worse (memory).</summary>
    public bool HigherIsBetter => Kind != ScenarioKind.Idle;

    public static Scenario Handshake(TlsVersion version, ServerKey key) =>
        new(
            $"handshake-{(version == TlsVersion.Tls13 ? "tls13" : "tls12")}-{(key == ServerKey.P256 ? "p256" : "rsa2048")}",
            $"full handshake {(version == TlsVersion.Tls13 ? "TLS 1.3" : "TLS 1.2")} {(key == ServerKey.P256 ? "ECDSA P-256" : "RSA-2048")}",
            ScenarioKind.Handshake)
        {
            Version = version,
            Key = key,
        };

    public static Scenario Resume(ResumptionMode mode) => mode switch
    {
        ResumptionMode.Tls13Ticket => new("resume-tls13-ticket", "resumed TLS 1.3 ticket", ScenarioKind.Resume) { Version = TlsVersion.Tls13, Resumption = mode },
        ResumptionMode.Tls12SessionId => new("resume-tls12-sessionid", "resumed TLS 1.2 session id", ScenarioKind.Resume) { Version = TlsVersion.Tls12, Resumption = mode },
        _ => new("resume-tls12-ticket", "resumed TLS 1.2 ticket", ScenarioKind.Resume) { Version = TlsVersion.Tls12, Resumption = mode },
    };

    public static Scenario Record(RecordCipher cipher, int size) =>
        new(
            $"record-{(cipher == RecordCipher.Aes128Gcm ? "aes128gcm" : "chacha20")}-{size}",
            $"record {size} B {(cipher == RecordCipher.Aes128Gcm ? "AES-128-GCM" : "CHACHA20-POLY1305")}",
            ScenarioKind.Record)
        {
            Cipher = cipher,
            Size = size,
        };

    /// <summary>A TLS 1.3 scenario (full P-256 handshake or ticket resumption) with <paramref name="group"/> pinned on both sides.</summary>
    public static Scenario WithGroup(Scenario tls13, string group) => tls13 with
    {
        Id = $"{tls13.Id}-{group.ToLowerInvariant()}",
        Title = $"{tls13.Title}, group {group}",
        Group = group,
    };

    public static Scenario Idle(int releaseBuffers) =>
        new($"idle-release{releaseBuffers}", $"idle server conn, release_buffers={releaseBuffers}", ScenarioKind.Idle) { ReleaseBuffers = releaseBuffers };

    /// <summary>Every rate scenario, in table order.</summary>
    public static IReadOnlyList<Scenario> Rates { get; } =
    [
        Handshake(TlsVersion.Tls13, ServerKey.P256),
        Handshake(TlsVersion.Tls13, ServerKey.Rsa2048),
        Handshake(TlsVersion.Tls12, ServerKey.P256),
        Handshake(TlsVersion.Tls12, ServerKey.Rsa2048),
        Resume(ResumptionMode.Tls13Ticket),
        Resume(ResumptionMode.Tls12SessionId),
        Resume(ResumptionMode.Tls12Ticket),
        Record(RecordCipher.Aes128Gcm, 512),
        Record(RecordCipher.Aes128Gcm, 1400),
        Record(RecordCipher.Aes128Gcm, 16384),
        Record(RecordCipher.ChaCha20Poly1305, 512),
        Record(RecordCipher.ChaCha20Poly1305, 1400),
        Record(RecordCipher.ChaCha20Poly1305, 16384),
    ];

    /// <summary>The post-quantum hybrid group of OpenSSL 3.5+ (3.5 offers it first by default).</summary>
    public const string HybridGroup = "X25519MLKEM768";

    /// <summary>
    /// The quick suite's key exchange rows: TLS 1.3 full handshake and ticket resumption with the classic X25519 and the
    /// hybrid <see cref="HybridGroup"/> pinned (the C harness's rows of the same ids set the same group). Rows whose
    /// group the loaded OpenSSL does not know are skipped with a note.
    /// </summary>
    public static IReadOnlyList<Scenario> GroupRates { get; } =
    [
        WithGroup(Handshake(TlsVersion.Tls13, ServerKey.P256), "X25519"),
        WithGroup(Handshake(TlsVersion.Tls13, ServerKey.P256), HybridGroup),
        WithGroup(Resume(ResumptionMode.Tls13Ticket), "X25519"),
        WithGroup(Resume(ResumptionMode.Tls13Ticket), HybridGroup),
    ];

    public static IReadOnlyList<Scenario> IdleScenarios { get; } = [Idle(1), Idle(0)];

    public static Scenario Find(string id) =>
        Rates.Concat(GroupRates).Concat(IdleScenarios).FirstOrDefault(s => s.Id == id) ?? throw new UnknownScenarioException(
            $"unknown scenario '{id}'; known: {string.Join(", ", Rates.Concat(GroupRates).Concat(IdleScenarios).Select(s => s.Id))}");

    public string CipherSuiteName => Cipher == RecordCipher.Aes128Gcm ? "TLS_AES_128_GCM_SHA256" : "TLS_CHACHA20_POLY1305_SHA256";
}
