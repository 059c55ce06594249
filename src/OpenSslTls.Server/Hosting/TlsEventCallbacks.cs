using System.Globalization;
using OpenSslTls.Connections;
using OpenSslTls.Module;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// The handlers <c>openssltls</c> offers to <c>event_callback</c>. One today, <see cref="LogConnection"/>, named after the
/// function in Kamailio's documentation example (<c>modparam("tls", "event_callback", "ksr_tls_event")</c>) so that
/// configuration works unchanged; like that example it reports the event, here with the connection's TLS facts.
/// </summary>
internal static class TlsEventCallbacks
{
    /// <summary>Writes one line per <c>tls:connection-out</c>: connection id, remote address, profile and TLS facts.</summary>
    public const string LogConnection = "ksr_tls_event";

    /// <summary>Every name, for messages.</summary>
    public static IReadOnlyList<string> Names { get; } = [LogConnection];

    /// <summary>Adds the built-in handlers to <paramref name="host"/>, each writing its line to <paramref name="write"/>.</summary>
    public static TlsModuleHostOptions Register(TlsModuleHostOptions host, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(write);
        host.EventHandlers[LogConnection] = e => write(Describe(LogConnection, e));
        return host;
    }

    /// <summary>e.g. <c>event_callback ksr_tls_event(tls:connection-out): connection 1 to 127.0.0.1:5061, profile client:default, TLSv1.3 ...</c>.</summary>
    internal static string Describe(string handler, TlsConnectionEventArgs e)
    {
        TlsConnection connection = e.Connection;
        string facts = connection.Info is { } info ? TlsFactsText.Format(info) : "no TLS facts";
        return string.Create(CultureInfo.InvariantCulture,
            $"event_callback {handler}({e.EventName}): connection {connection.Id} to {connection.RemoteEndPoint?.ToString() ?? "-"}, profile {connection.Profile.Label}, {facts}");
    }
}
