using System.Globalization;
using System.Text;
using System.Text.Json;
using OpenSslTls.Errors;
using OpenSslTls.Module;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// The <c>tls.*</c> admin commands and the <c>cfg.*</c> commands of Kamailio's cfg_rpc for the group <c>tls</c> over a
/// <see cref="TlsModule"/>, answered as Kamailio's RPC prints them (<c>key: value</c> lines, lists as <c>{ … }</c>
/// blocks) or as JSON (<see cref="TlsAdminJson"/>).
/// </summary>
internal static class AdminCommands
{
    /// <summary>The commands understood: Kamailio's tls RPCs, then cfg.get/cfg.set and cfg_rpc's other names for cfg.set.</summary>
    public static readonly string[] Names =
        ["tls.info", "tls.list", "tls.options", "tls.reload", "tls.kill", "cfg.get", "cfg.set", "cfg.set_now_int", "cfg.seti", "cfg.set_now_string", "cfg.sets", "core.memory"];

    /// <summary>The commands that set a variable: <c>GROUP NAME VALUE</c>.</summary>
    public static readonly string[] SetNames = ["cfg.set", "cfg.set_now_int", "cfg.seti", "cfg.set_now_string", "cfg.sets"];

    /// <summary>Kamailio's answer to tls.reload when no tls.cfg is in use (its RPC fault 500).</summary>
    public const string NoConfigFile = "No TLS configuration file configured";

    /// <summary>
    /// Runs <paramref name="command"/> with its <paramref name="arguments"/> (the rest of the command line: the id of
    /// tls.kill, <c>GROUP [NAME]</c> of cfg.get, <c>GROUP NAME VALUE</c> of cfg.set, the value being all the rest);
    /// returns success and the reply text. <paramref name="reloadCheck"/>, when given, returns why tls.reload must not
    /// run (a changed cluster parameter, which needs a restart); its answers then refuse the reload and nothing changes.
    /// </summary>
    public static (bool Ok, string Reply) Run(TlsModule module, string command, string? arguments, bool json, Func<IReadOnlyList<string>>? reloadCheck = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        string? argument = arguments?.Trim();
        if (argument?.Length == 0)
        {
            argument = null;
        }

        if (command != "tls.kill" && !command.StartsWith("cfg.", StringComparison.Ordinal) && argument is not null && Names.Contains(command))
        {
            return (false, $"{command} takes no argument, not '{argument}'\n");
        }

        switch (command)
        {
            case "tls.info":
                TlsModuleInfo info = module.Info();
                return (true, json ? TlsAdminJson.Serialize(info) : Lines([
                    ("max_connections", Number(info.MaxConnections)),
                    ("opened_connections", Number(info.OpenedConnections)),
                    ("clear_text_write_queued_bytes", Number(info.ClearTextQueuedBytes)),
                    ("generation", Number(info.Generation)),
                    ("live_generations", Number(info.LiveGenerations)),
                    .. info.Cluster is { } cluster
                        ? new[]
                        {
                            ("cluster_ticket_hits", Number(cluster.TicketHits)),
                            ("cluster_ticket_misses", Number(cluster.TicketMisses)),
                            ("cluster_key_generation", Number(cluster.KeyGeneration)),
                            ("cluster_keys", Number(cluster.Keys)),
                            ("cluster_session_hits", Number(cluster.SessionHits)),
                            ("cluster_session_misses", Number(cluster.SessionMisses)),
                            ("cluster_sessions_stored", Number(cluster.SessionsStored)),
                            ("cluster_store_errors", Number(cluster.StoreErrors)),
                        }
                        : []]));

            case "tls.list":
                IReadOnlyList<TlsConnectionSummary> rows = module.List();
                return (true, json ? TlsAdminJson.Serialize(rows) : Blocks(rows));

            case "tls.options":
                IReadOnlyDictionary<string, string?> options = module.Options();
                return (true, json ? TlsAdminJson.Serialize(options) : Lines([.. options.Select(pair => (pair.Key, pair.Value ?? string.Empty))]));

            case "tls.reload":
                if (string.IsNullOrEmpty(module.Runtime.Config))
                {
                    // As Kamailio: modparams are read at start-up only; reload re-reads a tls.cfg, and there is none.
                    string hint = "started with modparams only; set one with 'cfg.set tls config PATH' (then tls.reload), or restart to apply changed modparams";
                    return (false, json ? JsonObject(("error", NoConfigFile), ("hint", hint)) : $"{NoConfigFile} ({hint})\n");
                }

                if (reloadCheck?.Invoke() is { Count: > 0 } refusals)
                {
                    // Refused whole: the running profiles and cluster store stay, so what runs is what the reply says.
                    TlsReloadResult refused = new(false, module.Info().Generation, refusals);
                    return json
                        ? (false, TlsAdminJson.Serialize(refused))
                        : (false, "Error while reloading TLS configuration\n" + string.Concat(refusals.Select(error => error + "\n")));
                }

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

            case "cfg.get":
                return ConfigGet(module.ConfigVariables, argument, json);

            case "core.memory":
                return (true, Memory(json));

            case "cfg.set" or "cfg.set_now_string" or "cfg.sets" or "cfg.set_now_int" or "cfg.seti":
                return ConfigSet(module.ConfigVariables, command, argument, json);

            default:
                return (false, $"unknown command '{command}': use {string.Join(", ", Names)}\n");
        }
    }

    /// <summary>
    /// <c>core.memory</c> (serve's own; Kamailio's <c>core.shmmem</c> reports its shared memory pool instead): the
    /// process's resident set and its managed heap. It runs a full blocking collection first, so <c>managed_live</c>
    /// is what is still referenced (the figure to divide by the connection count), not garbage awaiting a GC; the
    /// resident set is read after it. Native memory (OpenSSL's) is in the resident set only.
    /// </summary>
    private static string Memory(bool json)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long live = GC.GetTotalMemory(forceFullCollection: true);
        GCMemoryInfo gc = GC.GetGCMemoryInfo(GCKind.Any);
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        (string Key, long Value)[] fields =
        [
            ("rss", process.WorkingSet64),
            ("managed_live", live),
            ("gc_heap_size", gc.HeapSizeBytes),
            ("gc_committed", gc.TotalCommittedBytes),
            ("gc_fragmented", gc.FragmentedBytes),
            ("gc_gen2_collections", GC.CollectionCount(2)),
        ];
        return json
            ? "{" + string.Join(",", fields.Select(field => $"\"{field.Key}\":{Number(field.Value)}")) + "}"
            : Lines([.. fields.Select(field => (field.Key, Number(field.Value)))]);
    }

    /// <summary><c>cfg.get GROUP [NAME]</c>: one variable's value, or every variable of the group.</summary>
    private static (bool Ok, string Reply) ConfigGet(TlsConfigVariables variables, string? arguments, bool json)
    {
        string[] words = Words(arguments, 2);
        if (words.Length == 0 || words.Length > 2)
        {
            return (false, "cfg.get needs a group and optionally a variable: cfg.get tls [NAME]\n");
        }

        if (BadGroup(words[0]) is { } badGroup)
        {
            return (false, badGroup);
        }

        try
        {
            if (words.Length == 2)
            {
                string? value = variables.Get(words[1]);
                return (true, json ? JsonObject((words[1], Typed(words[1], value))) : (value ?? string.Empty) + "\n");
            }

            IReadOnlyList<KeyValuePair<string, string?>> all = variables.GetAll();
            return (true, json
                ? JsonObject([.. all.Select(pair => (pair.Key, Typed(pair.Key, pair.Value)))])
                : Lines([.. all.Select(pair => (pair.Key, pair.Value ?? string.Empty))]));
        }
        catch (TlsConfigVariableException e)
        {
            return (false, Fault(e, json));
        }
    }

    /// <summary>
    /// <c>cfg.set GROUP NAME VALUE</c> and cfg_rpc's other names: <c>cfg.set_now_int</c>/<c>cfg.seti</c> take an integer
    /// VALUE (for a string variable, its decimal text), <c>cfg.set_now_string</c>/<c>cfg.sets</c> and <c>cfg.set</c> text
    /// converted to the variable's type. Answers the old and the new value.
    /// </summary>
    private static (bool Ok, string Reply) ConfigSet(TlsConfigVariables variables, string command, string? arguments, bool json)
    {
        string[] words = Words(arguments, 3);
        if (words.Length < 3)
        {
            return (false, $"{command} needs a group, a variable and a value: {command} tls NAME VALUE\n");
        }

        if (BadGroup(words[0]) is { } badGroup)
        {
            return (false, badGroup);
        }

        string name = words[1];
        string text = words[2];
        try
        {
            string? before = variables.Get(name);
            if (command is "cfg.set_now_int" or "cfg.seti")
            {
                if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number))
                {
                    if (!TlsConfigVariables.IsWritable(name))
                    {
                        variables.Set(name, text); // refused as read-only: Kamailio checks that before the value's type
                    }

                    return (false, Fault(new TlsConfigVariableException($"{TlsConfigVariables.GroupName}.{name}", TlsConfigVariableError.WrongType,
                        $"{command} takes an integer value, not '{text}' (cfg.set_now_string sets text)"), json));
                }

                variables.Set(name, number);
            }
            else
            {
                variables.Set(name, text);
            }

            string? after = variables.Get(name);
            return (true, json
                ? JsonObject((name, Typed(name, after)), ("previous", Typed(name, before)))
                : $"{TlsConfigVariables.GroupName}.{name}: {before ?? string.Empty} -> {after ?? string.Empty}\n");
        }
        catch (TlsConfigVariableException e)
        {
            return (false, Fault(e, json));
        }
    }

    /// <summary>The refusal of a group other than tls (Kamailio: "Failed to set the variable", the group unknown).</summary>
    private static string? BadGroup(string group) =>
        group == TlsConfigVariables.GroupName
            ? null
            : $"unknown configuration group '{group}': openssltls has the group {TlsConfigVariables.GroupName} only\n";

    /// <summary>Kamailio's fault text ("Failed to set the variable") with the reason it only logs.</summary>
    private static string Fault(TlsConfigVariableException e, bool json) =>
        json ? JsonObject(("error", e.Message), ("variable", e.Variable), ("reason", e.Error.ToString())) : e.Message + "\n";

    /// <summary>The first <paramref name="count"/> - 1 space-separated words, then the rest of the text as the last one.</summary>
    private static string[] Words(string? text, int count) =>
        text is null ? [] : text.Split(' ', count, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A value for JSON: a number for an integer variable, else the string (null when unset).</summary>
    private static object? Typed(string name, string? value) =>
        value is not null && TlsConfigVariables.IsInteger(name) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number)
            ? number
            : value;

    private static string JsonObject(params (string Key, object? Value)[] pairs)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach ((string key, object? value) in pairs)
            {
                switch (value)
                {
                    case null:
                        writer.WriteNull(key);
                        break;
                    case long number:
                        writer.WriteNumber(key, number);
                        break;
                    default:
                        writer.WriteString(key, value.ToString());
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
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

    /// <summary>
    /// tls.list as Kamailio prints it: its fields in its order (<c>dom</c> is the profile label, <c>sni</c> N/A when
    /// none, <c>timestamp</c> the creation in local time), then the ones Kamailio lacks (version, group, generation,
    /// last I/O, decrypted bytes held, whether the SSL releases idle buffers).
    /// </summary>
    private static string Blocks(IReadOnlyList<TlsConnectionSummary> rows)
    {
        var text = new StringBuilder();
        foreach (TlsConnectionSummary row in rows)
        {
            (string sourceIp, string sourcePort) = SplitEndpoint(row.Source);
            (string destinationIp, string destinationPort) = SplitEndpoint(row.Destination);
            text.Append("{\n");
            foreach ((string key, string value) in new[]
            {
                ("id", Number(row.Id)),
                ("dom", row.Profile),
                ("sni", string.IsNullOrEmpty(row.ServerName) ? "N/A" : row.ServerName),
                ("timestamp", LocalTime(row.Created)),
                ("timeout", Number(row.TimeoutSeconds)),
                ("src_ip", sourceIp),
                ("src_port", sourcePort),
                ("dst_ip", destinationIp),
                ("dst_port", destinationPort),
                ("cipher", row.CipherDescription),
                ("ct_wq_size", Number(row.QueuedBytes)),
                ("enc_rd_buf", Number(row.EncryptedReadBytes)),
                ("flags", Number(row.Flags)),
                ("state", row.State.ToString()),
                ("version", row.Version),
                ("group", row.KeyExchangeGroup ?? string.Empty),
                ("generation", Number(row.Generation)),
                ("last_io", LocalTime(row.LastActivity)),
                ("rd_pending", Number(row.PendingPlaintextBytes)),
                ("release_buffers", row.ReleasesBuffers ? "1" : "0"),
            })
            {
                text.Append('\t').Append(key).Append(": ").Append(value).Append('\n');
            }

            text.Append("}\n");
        }

        return text.ToString();
    }

    /// <summary>Kamailio's tls.list timestamp form: <c>YYYY-MM-DD hh:mm:ss</c> in local time.</summary>
    private static string LocalTime(DateTimeOffset time) =>
        time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>An endpoint's address and port apart (Kamailio prints them as two fields); empty when unknown.</summary>
    private static (string Address, string Port) SplitEndpoint(string? endpoint)
    {
        if (string.IsNullOrEmpty(endpoint) || !System.Net.IPEndPoint.TryParse(endpoint, out System.Net.IPEndPoint? parsed))
        {
            return (endpoint ?? string.Empty, string.Empty);
        }

        return (parsed.Address.ToString(), Number(parsed.Port));
    }
}
