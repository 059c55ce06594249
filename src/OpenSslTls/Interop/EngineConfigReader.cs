using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// Reads an engine's section from an <c>engine_config</c> file with OpenSSL's own parser (<c>NCONF_load</c>, so
/// includes, <c>$var</c> and <c>$ENV::var</c> expansion work as in <c>openssl.cnf</c>), the way Kamailio does:
/// top-level <c>kamailio = &lt;section&gt;</c> (else <c>openssl_conf</c>) → <c>engines = &lt;section&gt;</c> → the entry
/// named after the engine (or whose section says <c>engine_id = &lt;engine&gt;</c>) → the engine's section.
/// Nothing is applied here and no process-wide configuration module is loaded, so loading twice never conflicts.
/// </summary>
internal static unsafe class EngineConfigReader
{
    // Pseudo-commands of OpenSSL's engine configuration module that are not engine control commands.
    private static readonly string[] PseudoCommands = ["engine_id", "dynamic_path", "init", "default_algorithms", "soft_load"];

    /// <summary>Reads the section for <paramref name="engine"/> from <paramref name="path"/>; throws <see cref="TlsEngineException"/> (parameter <c>engine_config</c>) naming what is missing.</summary>
    internal static EngineSection Read(string path, string engine)
    {
        if (!File.Exists(path))
        {
            throw Fail($"cannot read '{path}': no such file", []);
        }

        ErrorQueue.Clear();

        // NCONF_new returns a new, empty configuration that only this method uses; NCONF_free releases it and every
        // string and section stack read from it, so everything below is copied out before the finally block.
        CONF* conf = Crypto.NCONF_new(null);
        if (conf == null)
        {
            throw Fail($"cannot read '{path}'", ErrorQueue.DrainErrors());
        }

        try
        {
            nint errorLine = 0;
            fixed (byte* file = Utf8Z.From(path))
            {
                if (Crypto.NCONF_load(conf, (sbyte*)file, &errorLine) != 1)
                {
                    // The parser's errors name the line; they never quote values, so nothing secret leaks from here.
                    List<OpenSslError> errors = ErrorQueue.DrainErrors();
                    throw Fail(errorLine > 0 ? $"'{path}' has a syntax error at line {errorLine}" : $"cannot read '{path}'", errors);
                }
            }

            string? application = GetString(conf, null, "kamailio") ?? GetString(conf, null, "openssl_conf");
            if (application is null)
            {
                throw Fail($"'{path}' has no top-level 'kamailio = <section>' (nor 'openssl_conf = <section>') line", []);
            }

            string? engines = GetString(conf, application, "engines")
                ?? throw Fail($"section [{application}] of '{path}' has no 'engines = <section>' line", []);

            List<KeyValuePair<string, string>> entries = GetSection(conf, engines)
                ?? throw Fail($"'{path}' has no section [{engines}] (named by 'engines' in [{application}])", []);

            foreach ((string name, string sectionName) in entries)
            {
                string id = GetString(conf, sectionName, "engine_id") ?? name;
                if (!string.Equals(name, engine, StringComparison.Ordinal) && !string.Equals(id, engine, StringComparison.Ordinal))
                {
                    continue;
                }

                List<KeyValuePair<string, string>> lines = GetSection(conf, sectionName)
                    ?? throw Fail($"'{path}' has no section [{sectionName}] (named by '{name}' in [{engines}])", []);
                return ToSection(path, sectionName, id, lines);
            }

            string listed = entries.Count == 0 ? "none" : string.Join(", ", entries.Select(e => e.Key));
            throw Fail($"section [{engines}] of '{path}' has no entry for engine '{engine}' (it lists: {listed})", []);
        }
        finally
        {
            Crypto.NCONF_free(conf);
            ErrorQueue.Clear();
        }
    }

    private static EngineSection ToSection(string path, string sectionName, string id, List<KeyValuePair<string, string>> lines)
    {
        string? dynamicPath = null;
        var controls = new List<EngineControl>();
        foreach ((string rawName, string value) in lines)
        {
            // As OpenSSL's engine module: "1.PIN" and "PIN" are the same command (the prefix allows repeating one).
            int dot = rawName.IndexOf('.', StringComparison.Ordinal);
            string name = dot >= 0 ? rawName[(dot + 1)..] : rawName;
            if (name == "dynamic_path")
            {
                dynamicPath = value;
            }
            else if (!PseudoCommands.Contains(name, StringComparer.Ordinal))
            {
                // "EMPTY" passes no value to commands that take none (OpenSSL's convention).
                controls.Add(new EngineControl(name, value == "EMPTY" ? null : value));
            }
        }

        return new EngineSection(path, sectionName, id, dynamicPath, controls);
    }

    /// <summary>The value of <paramref name="name"/> in <paramref name="group"/> (null: the top level), or null without queuing an error.</summary>
    private static string? GetString(CONF* conf, string? group, string name)
    {
        fixed (byte* groupText = group is null ? null : Utf8Z.From(group))
        fixed (byte* nameText = Utf8Z.From(name))
        {
            Crypto.ERR_set_mark();
            sbyte* value = Crypto.NCONF_get_string(conf, (sbyte*)groupText, (sbyte*)nameText);
            Crypto.ERR_pop_to_mark();
            return Utf8Z.ToString(value);
        }
    }

    /// <summary>The lines of a section in file order, or null when the file has no such section.</summary>
    private static List<KeyValuePair<string, string>>? GetSection(CONF* conf, string section)
    {
        fixed (byte* sectionText = Utf8Z.From(section))
        {
            Crypto.ERR_set_mark();
            OPENSSL_STACK* values = Crypto.NCONF_get_section(conf, (sbyte*)sectionText);
            Crypto.ERR_pop_to_mark();
            if (values == null)
            {
                return null;
            }

            var lines = new List<KeyValuePair<string, string>>();
            int count = Crypto.OPENSSL_sk_num(values);
            for (int i = 0; i < count; i++)
            {
                var line = (ConfValue*)Crypto.OPENSSL_sk_value(values, i);
                if (line != null && line->Name != null)
                {
                    lines.Add(new(Utf8Z.ToString(line->Name)!, Utf8Z.ToString(line->Value) ?? string.Empty));
                }
            }

            return lines;
        }
    }

    private static TlsEngineException Fail(string problem, IReadOnlyList<OpenSslError> errors) => new("engine_config", problem, errors);

    /// <summary>One engine's section of an <c>engine_config</c> file.</summary>
    /// <param name="File">The configuration file.</param>
    /// <param name="Name">The section's name.</param>
    /// <param name="EngineId">The engine id: <c>engine_id</c> when present, else the entry's name.</param>
    /// <param name="DynamicPath"><c>dynamic_path</c>: the engine's shared object, loaded through OpenSSL's <c>dynamic</c> engine.</param>
    /// <param name="Controls">Every other line, in file order: control commands sent to the engine before <c>ENGINE_init</c>.</param>
    internal sealed record EngineSection(string File, string Name, string EngineId, string? DynamicPath, IReadOnlyList<EngineControl> Controls);

    /// <summary>One control command of an engine section. Its text form never shows a secret value.</summary>
    internal sealed class EngineControl(string name, string? value)
    {
        internal string Name { get; } = name;

        internal string? Value { get; } = value;

        internal bool IsSecret => SecretRedaction.IsSecretControl(Name);

        /// <summary><c>NAME=value</c>, or <c>NAME=(hidden)</c> for PINs and passwords.</summary>
        public override string ToString() => Value is null ? Name : $"{Name}={(IsSecret ? SecretRedaction.Mask : Value)}";
    }
}
