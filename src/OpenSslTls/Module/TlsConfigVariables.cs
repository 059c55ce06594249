using System.Globalization;
using OpenSslTls.Configuration;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Module;

/// <summary>
/// Kamailio's cfg group <c>tls</c> over a <see cref="TlsModule"/>: what <c>cfg.get tls …</c> shows and what
/// <c>cfg.set tls …</c> / <c>cfg.set_now_int</c> / <c>cfg.set_now_string</c> change, under Kamailio's variable
/// names (<c>log</c> and <c>debug</c> for the modparams <c>tls_log</c>/<c>tls_debug</c>, <c>force_run</c>,
/// <c>method</c>, <c>disable_compression</c>, <c>ssl_free_list_max</c>), with Kamailio's checks in its order: the
/// variable must exist, be writable, take the value's type and hold it within its range. A change takes effect at
/// once in <see cref="TlsModule.Runtime"/>, so existing connections see it at their next use (<c>config</c> at the
/// next <see cref="TlsModule.Reload()"/>). The read-only variables show the start-up values; secrets are masked.
/// After Kamailio's variables come our additions, read-only: the cluster parameters (<c>cluster_address</c>, …).
/// Thread-safe.
/// </summary>
public sealed class TlsConfigVariables
{
    /// <summary>The group's name, as <c>cfg.set</c> takes it.</summary>
    public const string GroupName = "tls";

    private const int MaxMemoryThreshold = 1 << 30;

    // Kamailio's tls_cfg_def, in its order.
    private static readonly TlsConfigVariableDefinition[] s_definitions =
    [
        TlsConfigVariableDefinition.FixedInteger("force_run", "tls_force_run"),
        TlsConfigVariableDefinition.FixedString("method", "tls_method"),
        TlsConfigVariableDefinition.FixedString("server_name", "server_name"),
        TlsConfigVariableDefinition.FixedInteger("server_name_mode", null),
        TlsConfigVariableDefinition.FixedString("server_id", null),
        TlsConfigVariableDefinition.FixedInteger("verify_certificate", "verify_certificate"),
        TlsConfigVariableDefinition.FixedInteger("verify_depth", "verify_depth"),
        TlsConfigVariableDefinition.FixedInteger("require_certificate", "require_certificate"),
        TlsConfigVariableDefinition.FixedString("verify_client", "verify_client"),
        TlsConfigVariableDefinition.FixedString("private_key", "private_key"),
        TlsConfigVariableDefinition.FixedString("private_key_password", "private_key_password"),
        TlsConfigVariableDefinition.FixedString("ca_list", "ca_list"),
        TlsConfigVariableDefinition.FixedString("ca_path", "ca_path"),
        TlsConfigVariableDefinition.FixedString("crl", "crl"),
        TlsConfigVariableDefinition.FixedString("certificate", "certificate"),
        TlsConfigVariableDefinition.FixedString("cipher_list", "cipher_list"),
        TlsConfigVariableDefinition.FixedInteger("session_cache", "session_cache"),
        TlsConfigVariableDefinition.FixedString("session_id", "session_id"),
        TlsConfigVariableDefinition.Text("config", "config", r => r.Config, (r, v) => r.Config = v.Length == 0 ? null : v),
        TlsConfigVariableDefinition.Integer("log", "tls_log", 0, 1000, r => r.LogLevel, (r, v) => r.LogLevel = v),
        TlsConfigVariableDefinition.Integer("debug", "tls_debug", 0, 1000, r => r.DebugLevel, (r, v) => r.DebugLevel = v),
        TlsConfigVariableDefinition.Integer("connection_timeout", "connection_timeout", -1, int.MaxValue, r => r.ConnectionTimeout, (r, v) => r.ConnectionTimeout = v),
        TlsConfigVariableDefinition.FixedInteger("disable_compression", "tls_disable_compression"),
        TlsConfigVariableDefinition.FixedInteger("ssl_release_buffers", "ssl_release_buffers"),
        TlsConfigVariableDefinition.FixedInteger("ssl_free_list_max", "ssl_freelist_max_len"),
        TlsConfigVariableDefinition.FixedInteger("ssl_max_send_fragment", "ssl_max_send_fragment"),
        TlsConfigVariableDefinition.FixedInteger("ssl_read_ahead", "ssl_read_ahead"),
        TlsConfigVariableDefinition.Integer("low_mem_threshold1", "low_mem_threshold1", -1, MaxMemoryThreshold, r => r.LowMemoryThreshold1, (r, v) => r.LowMemoryThreshold1 = v),
        TlsConfigVariableDefinition.Integer("low_mem_threshold2", "low_mem_threshold2", -1, MaxMemoryThreshold, r => r.LowMemoryThreshold2, (r, v) => r.LowMemoryThreshold2 = v),
        TlsConfigVariableDefinition.Integer("ct_wq_max", "ct_wq_max", 0, TlsRuntimeParameters.MaxTotalQueueBytes, r => r.ClearTextQueueMax, (r, v) => r.ClearTextQueueMax = v),
        TlsConfigVariableDefinition.Integer("con_ct_wq_max", "con_ct_wq_max", 0, TlsRuntimeParameters.MaxConnectionQueueBytes, r => r.ConnectionClearTextQueueMax, (r, v) => r.ConnectionClearTextQueueMax = v),
        TlsConfigVariableDefinition.Integer("ct_wq_blk_size", "ct_wq_blk_size", 1, 65536, r => r.ClearTextQueueBlockSize, (r, v) => r.ClearTextQueueBlockSize = v),
        TlsConfigVariableDefinition.Integer("send_close_notify", "send_close_notify", 0, 1, r => r.SendCloseNotify ? 1 : 0, (r, v) => r.SendCloseNotify = v != 0),

        // Our additions after Kamailio's group: the cluster store, fixed at start-up (the key file by name only).
        TlsConfigVariableDefinition.FixedString("cluster_address", "cluster_address"),
        TlsConfigVariableDefinition.FixedString("cluster_key_file", "cluster_key_file"),
        TlsConfigVariableDefinition.FixedInteger("cluster_rotation", "cluster_rotation"),
        TlsConfigVariableDefinition.FixedInteger("cluster_window", "cluster_window"),
        TlsConfigVariableDefinition.FixedInteger("cluster_lookup_timeout", "cluster_lookup_timeout"),
        TlsConfigVariableDefinition.FixedString("cluster_key_prefix", "cluster_key_prefix"),
    ];

    private static readonly Dictionary<string, TlsConfigVariableDefinition> s_byName =
        s_definitions.ToDictionary(definition => definition.Name, StringComparer.Ordinal);

    private readonly TlsRuntimeParameters _runtime;
    private readonly IReadOnlyDictionary<string, string?> _startValues;
    private readonly string? _mainConfigDirectory;

    internal TlsConfigVariables(TlsRuntimeParameters runtime, TlsModuleOptions options)
    {
        _runtime = runtime;
        _startValues = TlsOptionsView.Describe(options);
        _mainConfigDirectory = options.MainConfigDirectory;
    }

    /// <summary>Every variable of the group, in Kamailio's order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. s_definitions.Select(definition => definition.Name)];

    /// <summary>The variables <see cref="Set(string, string)"/> accepts, in Kamailio's order.</summary>
    public static IReadOnlyList<string> WritableNames { get; } = [.. s_definitions.Where(definition => definition.IsWritable).Select(definition => definition.Name)];

    /// <summary>Whether <paramref name="name"/> can be set at runtime; throws <see cref="TlsConfigVariableException"/> when there is no such variable.</summary>
    public static bool IsWritable(string name) => Find(name).IsWritable;

    /// <summary>Whether <paramref name="name"/> holds an integer (else a string); throws <see cref="TlsConfigVariableException"/> when there is no such variable.</summary>
    public static bool IsInteger(string name) => Find(name).IsInteger;

    /// <summary>The current value of <paramref name="name"/> (<c>cfg.get tls NAME</c>): null when unset, secrets masked.</summary>
    public string? Get(string name) => Value(Find(name));

    /// <summary>Every variable and its current value (<c>cfg.get tls</c>), in Kamailio's order.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> GetAll() =>
        [.. s_definitions.Select(definition => new KeyValuePair<string, string?>(definition.Name, Value(definition)))];

    /// <summary>
    /// Sets <paramref name="name"/> from text (<c>cfg.set</c>, <c>cfg.set_now_string</c>): an integer variable takes a
    /// decimal integer, a string variable the text as given (<c>config</c> resolved as Kamailio does: relative to the
    /// main configuration directory unless it starts with <c>/</c> or <c>.</c>; empty unsets it). Throws
    /// <see cref="TlsConfigVariableException"/> and changes nothing when the variable is unknown or read-only, the
    /// text is no integer, or the integer is out of range.
    /// </summary>
    public void Set(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        TlsConfigVariableDefinition definition = FindWritable(name);
        if (!definition.IsInteger)
        {
            definition.WriteString!(_runtime, ResolveText(definition, value));
            return;
        }

        // As Kamailio's conversion: the whole text must be a decimal integer (strtol, base 10).
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out long number))
        {
            throw new TlsConfigVariableException(Qualified(name), TlsConfigVariableError.WrongType,
                $"{Qualified(name)} takes an integer, not '{value}'");
        }

        SetInteger(definition, number);
    }

    /// <summary>
    /// Sets <paramref name="name"/> to an integer (<c>cfg.set_now_int</c>). A string variable takes its decimal text,
    /// as Kamailio converts it. Throws <see cref="TlsConfigVariableException"/> and changes nothing when the variable
    /// is unknown or read-only or the value is out of range.
    /// </summary>
    public void Set(string name, int value)
    {
        TlsConfigVariableDefinition definition = FindWritable(name);
        if (definition.IsInteger)
        {
            SetInteger(definition, value);
        }
        else
        {
            definition.WriteString!(_runtime, ResolveText(definition, value.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private static string Qualified(string name) => GroupName + "." + name;

    private static TlsConfigVariableDefinition Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (s_byName.TryGetValue(name, out TlsConfigVariableDefinition? definition))
        {
            return definition;
        }

        // A modparam name where the variable is named differently, or a modparam with no runtime variable at all.
        TlsConfigVariableDefinition? renamed = s_definitions.FirstOrDefault(d => d.ModuleParameter == name);
        string hint = renamed is not null
            ? $" (the modparam {name} is the variable {Qualified(renamed.Name)})"
            : ModuleParameters.TryGet(name, out _)
                ? $" ({name} is a modparam with no runtime variable: it is read at start-up only)"
                : string.Empty;
        throw new TlsConfigVariableException(Qualified(name), TlsConfigVariableError.UnknownVariable,
            $"no variable {Qualified(name)}{hint}; the group has {string.Join(", ", Names)}");
    }

    private static TlsConfigVariableDefinition FindWritable(string name)
    {
        TlsConfigVariableDefinition definition = Find(name);
        if (!definition.IsWritable)
        {
            throw new TlsConfigVariableException(Qualified(name), TlsConfigVariableError.ReadOnly,
                $"{Qualified(name)} is read-only: it is fixed at start-up ({(ModuleParameters.ClusterNames.Contains(definition.Name) ? "the cluster store is set up from it when the process starts: restart to apply a change" : "profile settings in a tls.cfg change with tls.reload")}); " +
                $"the variables that can be set are {string.Join(", ", WritableNames)}");
        }

        return definition;
    }

    private void SetInteger(TlsConfigVariableDefinition definition, long value)
    {
        if (value < definition.Minimum || value > definition.Maximum)
        {
            throw new TlsConfigVariableException(Qualified(definition.Name), TlsConfigVariableError.OutOfRange,
                $"{Qualified(definition.Name)} must be {definition.Minimum}..{definition.Maximum}, not {value}");
        }

        definition.WriteInteger!(_runtime, (int)value);
    }

    private string ResolveText(TlsConfigVariableDefinition definition, string value) =>
        definition.Name == "config" && value.Length > 0 ? KamailioPath.Resolve(value, _mainConfigDirectory) : value;

    private string? Value(TlsConfigVariableDefinition definition)
    {
        if (definition.Read is not null)
        {
            return definition.Read(_runtime);
        }

        if (definition.ModuleParameter is null)
        {
            // server_name_mode and server_id: tls.cfg keys only; the group holds Kamailio's defaults.
            return definition.IsInteger ? "0" : null;
        }

        return _startValues.TryGetValue(definition.ModuleParameter, out string? value) ? value : null;
    }
}
