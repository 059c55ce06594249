using System.Text;
using Microsoft.Extensions.Configuration;
using OpenSslTls.Errors;

namespace OpenSslTls.Configuration;

/// <summary>
/// Fills <see cref="TlsModuleOptions"/> from <c>Microsoft.Extensions.Configuration</c> (keys are the Kamailio names:
/// <c>Tls:tls_method</c> in appsettings.json, <c>Tls__verify_certificate</c> as an environment variable) or from
/// Kamailio <c>modparam("tls", "name", value)</c> lines. Every source is checked with the same rules; an unknown
/// name, a wrong type or a value out of range is an error naming the parameter and its place, and all errors are
/// reported together in one <see cref="TlsConfigurationException"/>. Nothing is changed when there is an error.
/// </summary>
public static class TlsModuleOptionsReader
{
    /// <summary>The configuration section read by default.</summary>
    public const string DefaultSectionName = "Tls";

    /// <summary>The key of <see cref="TlsModuleOptions.MainConfigDirectory"/> (not a Kamailio parameter).</summary>
    public const string MainConfigDirectoryKey = "MainConfigDirectory";

    /// <summary>Reads section <paramref name="sectionName"/> of <paramref name="configuration"/> into new options.</summary>
    public static TlsModuleOptions FromConfiguration(IConfiguration configuration, string sectionName = DefaultSectionName)
    {
        var options = new TlsModuleOptions();
        ApplyConfiguration(options, configuration, sectionName);
        return options;
    }

    /// <summary>
    /// Applies section <paramref name="sectionName"/> of <paramref name="configuration"/> over <paramref name="options"/>.
    /// Errors are placed by key path (<c>Tls:verify_depth</c>), with the provider that supplied the value when
    /// <paramref name="configuration"/> is the configuration root.
    /// </summary>
    public static void ApplyConfiguration(TlsModuleOptions options, IConfiguration configuration, string sectionName = DefaultSectionName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(sectionName);

        IConfigurationSection section = configuration.GetSection(sectionName);
        TlsModuleOptions candidate = options.Clone();
        List<TlsConfigurationDiagnostic> errors = [];
        foreach (IConfigurationSection child in section.GetChildren())
        {
            string place = Place(configuration, child.Path);
            if (child.Value is null)
            {
                errors.Add(new TlsConfigurationDiagnostic(place, 0, 0,
                    child.GetChildren().Any() ? $"'{child.Key}' must be a single value, not a section" : $"'{child.Key}' has no value"));
                continue;
            }

            if (string.Equals(child.Key, MainConfigDirectoryKey, StringComparison.OrdinalIgnoreCase))
            {
                candidate.MainConfigDirectory = child.Value.Length == 0 ? null : child.Value;
                continue;
            }

            // Configuration keys are case-insensitive everywhere else in .NET, so they are here too.
            string name = ModuleParameters.SuggestionFor(child.Key) ?? child.Key;
            if (!ModuleParameters.TryGet(name, out ModuleParameter parameter))
            {
                errors.Add(new TlsConfigurationDiagnostic(place, 0, 0, $"unknown parameter '{child.Key}' of module tls"));
                continue;
            }

            if (parameter.TrySetText(candidate, child.Value) is { } problem)
            {
                errors.Add(new TlsConfigurationDiagnostic(place, 0, 0, problem));
            }
        }

        errors.AddRange(ModuleParameters.CheckCombinations(candidate, section.Path));
        ThrowIfAny(errors);
        options.CopyFrom(candidate);
    }

    /// <summary>
    /// Applies the <c>modparam("tls", …)</c> lines of file <paramref name="path"/> over <paramref name="options"/>.
    /// When <see cref="TlsModuleOptions.MainConfigDirectory"/> is unset it becomes the file's directory (the file
    /// plays kamailio.cfg's part). Returns notes about ignored lines (other modules, <c>loadmodule</c>, directives).
    /// </summary>
    public static IReadOnlyList<TlsConfigurationDiagnostic> ApplyModparamFile(TlsModuleOptions options, string path)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsConfigurationException([new TlsConfigurationDiagnostic(path, 0, 0, $"cannot read the file: {e.Message}")]);
        }

        IReadOnlyList<TlsConfigurationDiagnostic> notes = ApplyModparams(options, text, path);
        options.MainConfigDirectory ??= Path.GetDirectoryName(Path.GetFullPath(path));
        return notes;
    }

    /// <summary>
    /// Applies the <c>modparam("tls", …)</c> statements in <paramref name="text"/> over <paramref name="options"/>;
    /// <paramref name="fileName"/> names the text in messages. Returns notes about ignored lines.
    /// </summary>
    public static IReadOnlyList<TlsConfigurationDiagnostic> ApplyModparams(TlsModuleOptions options, string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        TlsModuleOptions candidate = options.Clone();
        (IReadOnlyList<TlsConfigurationDiagnostic> errors, IReadOnlyList<TlsConfigurationDiagnostic> notes) =
            ModparamFileParser.Parse(text, fileName, candidate);
        ThrowIfAny([.. errors, .. ModuleParameters.CheckCombinations(candidate, fileName)]);
        options.CopyFrom(candidate);
        return notes;
    }

    /// <summary>
    /// The options as <c>modparam("tls", …)</c> lines, one per parameter (unset strings left out): what
    /// <see cref="ApplyModparams"/> reads back to equal options.
    /// </summary>
    public static string ToModparams(TlsModuleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var text = new StringBuilder();
        foreach (ModuleParameter parameter in ModuleParameters.All)
        {
            string? value = parameter.GetText(options);
            if (value is null)
            {
                continue;
            }

            text.Append("modparam(\"tls\", \"").Append(parameter.Name).Append("\", ")
                .Append(parameter.Type == ModuleParameterType.Integer ? value : Quote(value))
                .Append(")\n");
        }

        return text.ToString();
    }

    private static string Quote(string value) => ConfigValues.Quote(value);

    private static void ThrowIfAny(List<TlsConfigurationDiagnostic> errors)
    {
        if (errors.Count > 0)
        {
            throw new TlsConfigurationException(errors);
        }
    }

    /// <summary>The key path, and the provider that supplied it when the root is at hand (the last provider wins).</summary>
    private static string Place(IConfiguration configuration, string path)
    {
        if (configuration is IConfigurationRoot root)
        {
            foreach (IConfigurationProvider provider in root.Providers.Reverse())
            {
                if (provider.TryGet(path, out _) || provider.GetChildKeys([], path).Any())
                {
                    return $"{path} ({provider})";
                }
            }
        }

        return path;
    }
}
