namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// Room for connections that another listener of the same process accepts (serve's <c>--listen-wss</c> Kestrel),
/// counted with the TLS listener's own against the one descriptor budget (<see cref="DescriptorBudget"/>): every
/// connection costs a descriptor whichever listener took it, so all of them share the room the limit leaves.
/// </summary>
internal interface ISharedConnectionSlots
{
    /// <summary>
    /// Takes a slot for a new connection; false (counted and logged once per interval, like the TLS listener's own
    /// refusals) when the budget is full, and the connection must then be closed at once, before any TLS work.
    /// </summary>
    bool TryAcquire();

    /// <summary>Gives back a slot taken by <see cref="TryAcquire"/> when its connection has ended.</summary>
    void Release();
}
