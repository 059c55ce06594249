using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Module;

/// <summary>
/// The library's one <see cref="ActivitySource"/> (named as the <c>Meter</c>: <c>OpenSslTls</c>) and its handshake
/// span, made only when <c>TlsModuleHostOptions.HandshakeTracing</c> is on and someone listens. Attributes follow
/// OpenTelemetry's semantic conventions (docs/metrics.md lists them).
/// </summary>
internal static class TlsTracing
{
    internal const string SourceName = TlsMetrics.MeterName;

    internal const string HandshakeActivityName = "openssltls.tls_handshake";

    internal static ActivitySource Source { get; } = new(SourceName);

    /// <summary>
    /// Starts the span of a connection's handshake, or returns null (nobody listens, or the listeners sample it out).
    /// Its parent is the caller's current activity; the caller's <see cref="Activity.Current"/> is left as it was,
    /// since the handshake goes on across later calls, maybe on other threads.
    /// </summary>
    internal static Activity? StartHandshake(TlsRole role, IPEndPoint? local, IPEndPoint? remote, string? serverName)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        Activity? previous = Activity.Current;
        Activity? activity = Source.StartActivity(HandshakeActivityName, role == TlsRole.Server ? ActivityKind.Server : ActivityKind.Client);
        Activity.Current = previous;
        if (activity is null)
        {
            return null;
        }

        activity.DisplayName = "TLS handshake";
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("tls.protocol.name", "tls");
            activity.SetTag("openssltls.connection.role", role == TlsRole.Server ? "server" : "client");
            if (remote is not null)
            {
                activity.SetTag("network.transport", "tcp");
                activity.SetTag("network.type", remote.AddressFamily == AddressFamily.InterNetworkV6 && !remote.Address.IsIPv4MappedToIPv6 ? "ipv6" : "ipv4");
                activity.SetTag("network.peer.address", remote.Address.ToString());
                activity.SetTag("network.peer.port", remote.Port);
            }

            if (local is not null)
            {
                activity.SetTag("network.local.address", local.Address.ToString());
                activity.SetTag("network.local.port", local.Port);
            }

            if (role == TlsRole.Client && (serverName ?? remote?.Address.ToString()) is { } server)
            {
                // The server the client means to reach: its SNI name when given, else the address dialled.
                activity.SetTag("server.address", server);
                if (remote is not null)
                {
                    activity.SetTag("server.port", remote.Port);
                }
            }
        }

        return activity;
    }

    /// <summary>Ends the span of a completed handshake with the negotiated facts.</summary>
    internal static void Completed(Activity activity, TlsConnection connection)
    {
        if (activity.IsAllDataRequested && connection.Info is { } info)
        {
            activity.SetTag("tls.protocol.version", TlsMetrics.ProtocolVersion(connection.ProtocolVersion));
            activity.SetTag("tls.cipher", info.CipherName);
            activity.SetTag("tls.established", true);
            activity.SetTag("tls.resumed", info.SessionReused);
            if (info.KeyExchangeGroup is { } group)
            {
                activity.SetTag("tls.curve", group);
            }

            if (info.ApplicationProtocol is { } protocol)
            {
                activity.SetTag("tls.next_protocol", protocol.ToString());
            }

            if (info.ServerName is { } serverName)
            {
                activity.SetTag("tls.client.server_name", serverName);
            }
        }

        Stop(activity);
    }

    /// <summary>Ends the span of a failed handshake: <c>error.type</c> as the metric has it, the status an error.</summary>
    internal static void Failed(Activity activity, TlsException error)
    {
        activity.SetTag("error.type", TlsMetrics.ErrorType(error));
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        Stop(activity);
    }

    /// <summary>Ends the span of a connection released before its handshake ended.</summary>
    internal static void Abandoned(Activity activity)
    {
        activity.SetTag("error.type", "connection_closed");
        activity.SetStatus(ActivityStatusCode.Error, "the connection was released before its handshake ended");
        Stop(activity);
    }

    private static void Stop(Activity activity)
    {
        // Stop may make the span's parent current; whoever drives the connection keeps the context it had.
        Activity? previous = Activity.Current;
        activity.Stop();
        Activity.Current = previous == activity ? activity.Parent : previous;
    }
}
