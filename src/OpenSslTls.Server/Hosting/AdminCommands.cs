using System.Globalization;
using System.Text;
using OpenSslTls.Module;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// The <c>tls.*</c> admin commands over a <see cref="TlsModule"/>, answered as Kamailio's RPC prints them
/// (<c>key: value</c> lines, lists as <c>{ … }</c> blocks) or as JSON (<see cref="TlsAdminJson"/>).
/// </summary>
internal static class AdminCommands
{
    /// <summary>The commands understood.</summary>
    public static readonly string[] Names = ["tls.info", "tls.list", "tls.options", "tls.reload", "tls.kill"];

    /// <summary>Runs <paramref name="command"/> (with <paramref name="argument"/> for tls.kill); returns success and the reply text.</summary>
    public static (bool Ok, string Reply) Run(TlsModule module, string command, string? argument, bool json)
    {
        ArgumentNullException.ThrowIfNull(module);
        switch (command)
        {
            case "tls.info":
                TlsModuleInfo info = module.Info();
                return (true, json ? TlsAdminJson.Serialize(info) : Lines(
                    ("max_connections", Number(info.MaxConnections)),
                    ("opened_connections", Number(info.OpenedConnections)),
                    ("clear_text_write_queued_bytes", Number(info.ClearTextQueuedBytes)),
                    ("generation", Number(info.Generation)),
                    ("live_generations", Number(info.LiveGenerations))));

            case "tls.list":
                IReadOnlyList<TlsConnectionSummary> rows = module.List();
                return (true, json ? TlsAdminJson.Serialize(rows) : Blocks(rows));

            case "tls.options":
                IReadOnlyDictionary<string, string?> options = module.Options();
                return (true, json ? TlsAdminJson.Serialize(options) : Lines([.. options.Select(pair => (pair.Key, pair.Value ?? string.Empty))]));

            case "tls.reload":
                TlsReloadResult result = module.Reload();
                if (json)
                {
                    return (result.Succeeded, TlsAdminJson.Serialize(result));
                }

                return result.Succeeded
                    ? (true, string.Create(CultureInfo.InvariantCulture, $"Ok. TLS configuration reloaded (generation {result.Generation}).\n"))
                    : (false, "Error while reloading TLS configuration\n" + string.Concat(result.Errors.Select(error => error + "\n")));

            case "tls.kill":
                if (argument is null || !long.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
                {
                    return (false, "tls.kill needs a connection id (see tls.list)\n");
                }

                bool killed = module.Kill(id);
                if (json)
                {
                    return (killed, killed ? "{\"killed\":" + Number(id) + "}" : "{\"error\":\"no such connection\"}");
                }

                return killed ? (true, "Ok. Connection killed.\n") : (false, string.Create(CultureInfo.InvariantCulture, $"no such connection: {id}\n"));

            default:
                return (false, $"unknown command '{command}': use {string.Join(", ", Names)}\n");
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Lines(params (string Key, string Value)[] pairs)
    {
        var text = new StringBuilder();
        foreach ((string key, string value) in pairs)
        {
            text.Append(key).Append(": ").Append(value).Append('\n');
        }

        return text.ToString();
    }

    private static string Blocks(IReadOnlyList<TlsConnectionSummary> rows)
    {
        var text = new StringBuilder();
        foreach (TlsConnectionSummary row in rows)
        {
            text.Append("{\n");
            foreach ((string key, string value) in new[]
            {
                ("id", Number(row.Id)),
                ("timeout", Number(row.TimeoutSeconds)),
                ("src_ip", row.Source ?? string.Empty),
                ("dst_ip", row.Destination ?? string.Empty),
                ("cipher", row.CipherDescription),
                ("version", row.Version),
                ("group", row.KeyExchangeGroup ?? string.Empty),
                ("state", row.State.ToString()),
                ("profile", row.Profile),
                ("server_name", row.ServerName ?? string.Empty),
                ("queued_bytes", Number(row.QueuedBytes)),
                ("generation", Number(row.Generation)),
            })
            {
                text.Append('\t').Append(key).Append(": ").Append(value).Append('\n');
            }

            text.Append("}\n");
        }

        return text.ToString();
    }
}
