using System.Text;
using System.Text.Json;
using OpenSslTls.Module;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// What the status page shows, as one JSON object: <c>tls.info</c> and <c>tls.list</c> exactly as <c>ctl --json</c>
/// prints them, the connections open on each listener, and the module's metrics.
/// </summary>
internal static class StatusSnapshot
{
    /// <summary>The snapshot of <paramref name="module"/> now; <paramref name="listeners"/> names each listener's open connections.</summary>
    public static string Json(TlsModule module, MetricsReader? metrics, IReadOnlyList<(string Listener, int Connections)> listeners)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(listeners);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.UtcNow);
            json.WritePropertyName("info");
            json.WriteRawValue(TlsAdminJson.Serialize(module.Info()));
            json.WritePropertyName("list");
            json.WriteRawValue(TlsAdminJson.Serialize(module.List()));
            json.WriteStartArray("listeners");
            foreach ((string name, int connections) in listeners)
            {
                json.WriteStartObject();
                json.WriteString("listener", name);
                json.WriteNumber("connections", connections);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("metrics");
            foreach (MetricSeries series in metrics?.Snapshot() ?? [])
            {
                json.WriteStartObject();
                json.WriteString("name", series.Name);
                json.WriteString("tags", series.Tags);
                json.WriteString("kind", series.Kind);
                json.WriteString("unit", series.Unit);
                json.WriteNumber("value", series.Value);
                json.WriteNumber("count", series.Count);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }
}
