using System.Net;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>How a <see cref="SipTlsServer"/> listens and what it tolerates from a connection.</summary>
internal sealed record SipTlsServerOptions
{
    /// <summary>The SIP-over-TLS port of RFC 3261 §19.1.2.</summary>
    public const int DefaultPort = 5061;

    /// <summary>Where to listen; port 0 picks a free port (see <see cref="SipTlsServer.LocalEndpoints"/>).</summary>
    public IReadOnlyList<IPEndPoint> ListenEndpoints { get; init; } = [new IPEndPoint(IPAddress.Loopback, DefaultPort)];

    /// <summary>A connection whose handshake has not completed this long after accept is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A SIP message (or keep-alive) whose first bytes have arrived must be complete this long after them, or the
    /// connection is closed (Kamailio's core <c>tcp_msg_read_timeout</c>, 20 s there too). Without it a peer could hold a
    /// connection forever by dripping one byte of an endless header every few seconds, since every byte resets the
    /// idle timer (<c>tcp_connection_lifetime</c>). <see cref="Timeout.InfiniteTimeSpan"/> turns it off.
    /// </summary>
    public TimeSpan MessageReadTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long <see cref="SipTlsServer.StopAsync"/> waits for connections to send close_notify and close.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections beyond this many are closed right after accept (Kamailio's <c>tcp_max_connections</c> role).</summary>
    public int MaxConnections { get; init; } = 16384;

    /// <summary>
    /// Connections from one IP address beyond this many are closed right after accept (0: no limit), alongside
    /// <see cref="MaxConnections"/>, so one peer cannot take every slot. 256 leaves room for many SIP phones behind one NAT.
    /// </summary>
    public int MaxConnectionsPerAddress { get; init; } = DefaultMaxConnectionsPerAddress;

    /// <summary>The default of <see cref="MaxConnectionsPerAddress"/>.</summary>
    public const int DefaultMaxConnectionsPerAddress = 256;

    /// <summary>How often, at most, the refusals of one address by <see cref="MaxConnectionsPerAddress"/> are logged.</summary>
    public TimeSpan PerAddressRefusalLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often, at most, connections refused for lack of file descriptors (EMFILE/ENFILE) are logged.</summary>
    public TimeSpan DescriptorShortageLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the accept loop waits, out of file descriptors, when it could not even take the waiting connection off
    /// the backlog to refuse it (its reserve descriptor was gone), before it tries again.
    /// </summary>
    public TimeSpan DescriptorShortageRetry { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Header and body limits of the SIP framing.</summary>
    public SipFramingLimits Framing { get; init; } = new();

    /// <summary>
    /// Listen backlog per socket, for the moments the accept loop is behind. Linux caps it at <c>net.core.somaxconn</c>
    /// (4096 by default since 5.4); beyond it the kernel drops SYNs and ACKs, clients retry, and those left there too
    /// long are reset.
    /// </summary>
    public int Backlog { get; init; } = 4096;

    /// <summary>
    /// File descriptors kept free below the soft <c>RLIMIT_NOFILE</c> (<see cref="DescriptorBudget"/>): connections
    /// beyond the limit minus what is open at start minus this are refused at accept, as beyond
    /// <see cref="MaxConnections"/>, because the .NET runtime aborts the process when it cannot start a thread for lack
    /// of a descriptor. 0 turns this cap off (only the EMFILE handling of <see cref="DescriptorShortage"/> remains).
    /// </summary>
    public int DescriptorReserve { get; init; } = DescriptorBudget.DefaultReserve;

    /// <summary>
    /// Handshakes in progress at once (accepted, not yet completed); while this many are, newly accepted connections
    /// wait in a queue, their handshake and its timer not started (<see cref="HandshakeAdmission"/>). 0: no bound.
    /// </summary>
    public int MaxHandshakesInProgress { get; init; } = DefaultMaxHandshakesInProgress;

    /// <summary>The default of <see cref="MaxHandshakesInProgress"/>: enough to keep every core busy with handshakes whose peers are far away.</summary>
    public static int DefaultMaxHandshakesInProgress => 64 * Environment.ProcessorCount;

    /// <summary>
    /// How long one handshake counts towards <see cref="MaxHandshakesInProgress"/> at most, so that peers that connect
    /// and stall cannot stop the accepting; by default half the <see cref="HandshakeTimeout"/>.
    /// </summary>
    public TimeSpan? HandshakeSlotTime { get; init; }
}
