using OpenSslTls.Errors;
using OpenSslTls.Interop;

namespace OpenSslTls.OpenSsl;

/// <summary>
/// Reads an engine's section from an <c>engine_config</c> file with OpenSSL's own parser (<c>NCONF_load</c>, so
/// includes, <c>$var</c> and <c>$ENV::var</c> expansion work as in <c>openssl.cnf</c>), the way Kamailio does:
/// top-level <c>kamailio = &lt;section&gt;</c> (else <c>openssl_conf</c>) → <c>engines = &lt;section&gt;</c> → the entry
/// named after the engine (or whose section says <c>engine_id = &lt;engine&gt;</c>) → the engine's section.
/// Nothing is applied here and no process-wide configuration module is loaded, so loading twice never conflicts.
/// </summary>
internal static class EngineConfigReader
{
    // Pseudo-commands of OpenSSL's engine configuration module that are not engine control commands.
    private static readonly string[] PseudoCommands = ["engine_id", "dynamic_path", "init", "default_algorithms", "soft_load"];

    /// <summary>Reads the section for <paramref name="engine"/> from <paramref name="path"/>; throws <see cref="TlsEngineException"/> (parameter <c>engine_config</c>) naming what is missing.</summary>
    internal static EngineSection Read(string path, string engine)
    {
        if (!File.Exists(path))
        {
            throw Fail($"cannot read '{path}': no such file");
        }

        using ConfFile? conf = ConfFile.TryLoad(path, out long errorLine, out OpenSslException? error);
        if (conf is null)
        {
            throw Fail(errorLine > 0 ? $"'{path}' has a syntax error at line {errorLine}" : $"cannot read '{path}'", error);
        }

        string? application = conf.GetString(null, "kamailio") ?? conf.GetString(null, "openssl_conf");
        if (application is null)
        {
            throw Fail($"'{path}' has no top-level 'kamailio = <section>' (nor 'openssl_conf = <section>') line");
        }

        string? engines = conf.GetString(application, "engines")
            ?? throw Fail($"section [{application}] of '{path}' has no 'engines = <section>' line");

        List<KeyValuePair<string, string>> entries = conf.GetSection(engines)
            ?? throw Fail($"'{path}' has no section [{engines}] (named by 'engines' in [{application}])");

        foreach ((string name, string sectionName) in entries)
        {
            string id = conf.GetString(sectionName, "engine_id") ?? name;
            if (!string.Equals(name, engine, StringComparison.Ordinal) && !string.Equals(id, engine, StringComparison.Ordinal))
            {
                continue;
            }

            List<KeyValuePair<string, string>> lines = conf.GetSection(sectionName)
                ?? throw Fail($"'{path}' has no section [{sectionName}] (named by '{name}' in [{engines}])");
            return ToSection(path, sectionName, id, lines);
        }

        string listed = entries.Count == 0 ? "none" : string.Join(", ", entries.Select(e => e.Key));
        throw Fail($"section [{engines}] of '{path}' has no entry for engine '{engine}' (it lists: {listed})");
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

    private static TlsEngineException Fail(string problem, OpenSslException? error = null) => new("engine_config", problem, error);

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
