namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>The operators' status page on the WebSocket listener (<c>--status-page</c>).</summary>
internal sealed record StatusPageOptions
{
    /// <summary>Where the page is; its live view is the WebSocket at the same path.</summary>
    public const string Path = "/status";

    /// <summary>The subprotocol of the live view's WebSocket (not <c>sip</c>: it carries JSON, never SIP).</summary>
    public const string Subprotocol = "openssltls.status";

    /// <summary>Whether peers other than loopback ones may see it (<c>--status-page-remote</c>); by default it is loopback only.</summary>
    public bool AllowRemote { get; init; }

    /// <summary>How often the live view pushes a new snapshot.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(2);
}
