using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

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

    /// <summary>The key of <see cref="TlsModuleOptions.MaxClientHelloBytes"/> (not a Kamailio parameter).</summary>
    public const string MaxClientHelloBytesKey = "MaxClientHelloBytes";

    /// <summary>
    /// The key of <see cref="TlsModuleOptions.Profiles"/>: a list of tls.cfg sections, each with a
    /// <see cref="ProfileHeaderKey"/> (the section header without brackets) and tls.cfg keys by their tls.cfg names or
    /// the .NET names of <see cref="TlsProfileSettings"/>, e.g. in appsettings.json
    /// <c>"Profiles": [ { "Profile": "server:default", "certificate": "server.pem" }, { "Profile": "client:any", "ServerName": "sip.example.org", "VerifyCertificate": true } ]</c>
    /// (<c>Tls__Profiles__0__Profile</c> as an environment variable). Read with tls.cfg's grammar and rules.
    /// </summary>
    public const string ProfilesKey = "Profiles";

    /// <summary>The key of a profile's section header inside <see cref="ProfilesKey"/>, e.g. <c>server:10.0.0.1:5061</c>.</summary>
    public const string ProfileHeaderKey = "Profile";

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
    /// <paramref name="configuration"/> is the configuration root. Keys are the Kamailio names or the .NET property
    /// names of <see cref="TlsModuleOptions"/> (<c>verify_depth</c> or <c>VerifyDepth</c>, case-insensitive), plus
    /// <c>MainConfigDirectory</c>, <c>MaxClientHelloBytes</c> and <c>Profiles</c> (see <see cref="ProfilesKey"/>).
    /// </summary>
    public static void ApplyConfiguration(TlsModuleOptions options, IConfiguration configuration, string sectionName = DefaultSectionName)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(sectionName);
        IConfigurationSection section = configuration.GetSection(sectionName);
        Apply(options, section, section.Path, configuration);
    }

    /// <summary>
    /// Applies <paramref name="section"/> itself (e.g. <c>configuration.GetSection("Tls")</c>) over
    /// <paramref name="options"/>, with the keys and rules of <see cref="ApplyConfiguration"/>; errors name the key path.
    /// </summary>
    public static void ApplySection(TlsModuleOptions options, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(section);
        Apply(options, section, section is IConfigurationSection named ? named.Path : string.Empty, null);
    }

    private static void Apply(TlsModuleOptions options, IConfiguration section, string sectionPath, IConfiguration? root)
    {
        TlsModuleOptions candidate = options.Clone();
        List<TlsConfigurationDiagnostic> errors = [];
        IConfigurationSection? profiles = null;
        foreach (IConfigurationSection child in section.GetChildren())
        {
            string place = Place(root, child.Path);
            if (string.Equals(child.Key, ProfilesKey, StringComparison.OrdinalIgnoreCase))
            {
                profiles = child;
                continue;
            }

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

            if (string.Equals(child.Key, MaxClientHelloBytesKey, StringComparison.OrdinalIgnoreCase))
            {
                if (int.TryParse(child.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int bytes) && bytes is >= 512 and <= 0xFFFFFF)
                {
                    candidate.MaxClientHelloBytes = bytes;
                }
                else
                {
                    errors.Add(new TlsConfigurationDiagnostic(place, 0, 0, $"{MaxClientHelloBytesKey} must be an integer 512..{0xFFFFFF}, not '{child.Value}'"));
                }

                continue;
            }

            // Configuration keys are case-insensitive everywhere else in .NET, so they are here too; a .NET property
            // name leads to its Kamailio parameter, whose rules then apply.
            string name = ModuleParameters.SuggestionFor(child.Key)
                ?? (OptionPropertyNames.ModuleParameters.TryGetValue(child.Key, out string? kamailioName) ? kamailioName : child.Key);
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

        // After the other keys: profile file names resolve against MainConfigDirectory, wherever the section sets it.
        if (profiles is not null)
        {
            ReadProfiles(candidate, profiles, root, errors);
        }

        errors.AddRange(ModuleParameters.CheckCombinations(candidate, sectionPath));
        ThrowIfAny(errors);
        options.CopyFrom(candidate);
    }

    /// <summary>
    /// Reads <c>Profiles</c>, a list of tls.cfg sections, through the tls.cfg reader itself: each entry becomes a
    /// section (its <c>Profile</c> value the header, its other keys the options, quoted), so the grammar, the key
    /// aliases, the checks and the profile rules are tls.cfg's. Errors are placed back on the configuration key.
    /// </summary>
    private static void ReadProfiles(TlsModuleOptions candidate, IConfigurationSection profiles, IConfiguration? root, List<TlsConfigurationDiagnostic> errors)
    {
        if (profiles.Value is { Length: > 0 })
        {
            errors.Add(new TlsConfigurationDiagnostic(Place(root, profiles.Path), 0, 0,
                $"'{profiles.Key}' must be a list of profiles ({profiles.Key}:0:{ProfileHeaderKey} = server:default, {profiles.Key}:0:certificate = …), not a single value"));
            return;
        }

        var text = new StringBuilder();
        List<string> linePlaces = [];
        List<string> headerPlaces = [];
        int before = errors.Count;
        foreach (IConfigurationSection entry in profiles.GetChildren())
        {
            IConfigurationSection header = entry.GetSection(ProfileHeaderKey);
            if (header.Value is not { Length: > 0 } target || target.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                errors.Add(new TlsConfigurationDiagnostic(Place(root, header.Path), 0, 0,
                    $"each profile needs '{ProfileHeaderKey}': its tls.cfg section header without the brackets, e.g. server:default, client:any or server:10.0.0.1:5061"));
                continue;
            }

            text.Append('[').Append(target.Trim()).Append("]\n");
            linePlaces.Add(Place(root, header.Path));
            headerPlaces.Add(Place(root, entry.Path));
            foreach (IConfigurationSection option in entry.GetChildren())
            {
                if (string.Equals(option.Key, ProfileHeaderKey, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                string place = Place(root, option.Path);
                string key = OptionPropertyNames.ProfileKeys.TryGetValue(option.Key, out string? canonical) ? canonical : option.Key;
                if (option.Value is null || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                {
                    errors.Add(new TlsConfigurationDiagnostic(place, 0, 0, option.Value is null
                        ? $"'{option.Key}' must be a single value, not a section"
                        : $"Unsupported option '{option.Key}'"));
                    continue;
                }

                text.Append(key).Append(" = ").Append(ConfigValues.Quote(option.Value)).Append('\n');
                linePlaces.Add(place);
            }
        }

        if (errors.Count > before)
        {
            return;
        }

        try
        {
            TlsConfigDocument document = TlsConfigReader.Parse(text.ToString(), profiles.Path, candidate.MainConfigDirectory);
            candidate.Profiles = [.. document.Profiles.Select((profile, index) => profile with { Source = headerPlaces[index] })];
        }
        catch (TlsConfigurationException e)
        {
            foreach (TlsConfigurationDiagnostic error in e.Errors)
            {
                string place = error.Line >= 1 && error.Line <= linePlaces.Count ? linePlaces[error.Line - 1] : Place(root, profiles.Path);
                errors.Add(new TlsConfigurationDiagnostic(place, 0, 0, error.Message));
            }
        }
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
    private static string Place(IConfiguration? configuration, string path)
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
