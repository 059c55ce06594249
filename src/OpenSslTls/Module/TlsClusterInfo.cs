namespace OpenSslTls.Module;

/// <summary>
/// <c>tls.info</c>'s cluster part (present when the host gave the module shared ticket keys or a shared session
/// store; an extension of ours): resumptions the shared pieces made possible, and how their store fares.
/// </summary>
/// <param name="TicketHits">Tickets opened with a key of the shared ring (the newest, or an older one of the window).</param>
/// <param name="TicketMisses">Tickets naming a key the ring does not hold (full handshakes).</param>
/// <param name="KeyGeneration">Changes of the ring's key set since start (every rotation picked up counts one).</param>
/// <param name="Keys">Ticket keys held now (the newest seals, the others only open).</param>
/// <param name="SessionHits">TLS 1.2 session ids offered that the shared store returned a session for.</param>
/// <param name="SessionMisses">TLS 1.2 session ids offered that the shared store did not know (or could not answer in time).</param>
/// <param name="SessionsStored">New TLS 1.2 sessions given to the shared store.</param>
/// <param name="StoreErrors">Failed or timed-out operations of the stores behind the ring and the session cache.</param>
public sealed record TlsClusterInfo(long TicketHits, long TicketMisses, long KeyGeneration, int Keys, long SessionHits, long SessionMisses, long SessionsStored, long StoreErrors);
