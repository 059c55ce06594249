using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenSslTls.Module;

/// <summary>JSON renderings of the admin views (<c>tls.info</c>, <c>tls.list</c>, <c>tls.options</c>, reload results), snake_case like Kamailio's RPC fields.</summary>
public static class TlsAdminJson
{
    /// <summary><c>tls.info</c> as JSON.</summary>
    public static string Serialize(TlsModuleInfo info) => JsonSerializer.Serialize(info, TlsAdminJsonContext.Default.TlsModuleInfo);

    /// <summary><c>tls.list</c> as a JSON array.</summary>
    public static string Serialize(IReadOnlyList<TlsConnectionSummary> connections) =>
        JsonSerializer.Serialize(connections, TlsAdminJsonContext.Default.IReadOnlyListTlsConnectionSummary);

    /// <summary><c>tls.options</c> as a JSON object keyed by parameter name.</summary>
    public static string Serialize(IReadOnlyDictionary<string, string?> options) =>
        JsonSerializer.Serialize(options, TlsAdminJsonContext.Default.IReadOnlyDictionaryStringString);

    /// <summary>A reload result as JSON.</summary>
    public static string Serialize(TlsReloadResult result) => JsonSerializer.Serialize(result, TlsAdminJsonContext.Default.TlsReloadResult);
}

/// <summary>Source-generated serializers (no reflection, trimming- and AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(TlsModuleInfo))]
[JsonSerializable(typeof(TlsClusterInfo))]
[JsonSerializable(typeof(IReadOnlyList<TlsConnectionSummary>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string?>))]
[JsonSerializable(typeof(TlsReloadResult))]
internal sealed partial class TlsAdminJsonContext : JsonSerializerContext;
