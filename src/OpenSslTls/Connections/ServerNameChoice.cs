using OpenSslTls.Interop;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// A server connection's SNI choice: runs the host's <see cref="TlsServerNameSelector"/> when the ClientHello names
/// a server and hands the chosen profile's context to the interop layer's switch. References profiles and the
/// selector, never the connection (the <c>SSL</c> keeps this object alive until it is freed).
/// </summary>
internal sealed class ServerNameChoice(TlsProfile initial, TlsServerNameSelector selector) : IServerNameChooser
{
    /// <summary>The profile the connection switched to, or null while it keeps its initial one.</summary>
    internal TlsProfile? Selected { get; private set; }

    public SafeSslContextHandle? Choose(string serverName)
    {
        TlsProfile? chosen = selector(initial, serverName);
        if (chosen is null || ReferenceEquals(chosen, initial))
        {
            return null;
        }

        if (chosen.Role != TlsRole.Server)
        {
            throw new InvalidOperationException($"SNI selector returned client profile {chosen.Label}");
        }

        Selected = chosen;
        return chosen.Context;
    }
}
