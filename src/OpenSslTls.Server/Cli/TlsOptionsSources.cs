using Microsoft.Extensions.Configuration;
using OpenSslTls.Configuration;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>The configuration files a command may name: <c>--modparams</c>, <c>--appsettings</c> and <c>--tls-cfg</c>.</summary>
internal sealed record TlsOptionsSources
{
    /// <summary>The options naming a configuration file.</summary>
    public static readonly string[] OptionNames = ["--modparams", "--appsettings", "--tls-cfg"];

    /// <summary>A file of Kamailio <c>modparam("tls", …)</c> lines.</summary>
    public string? Modparams { get; init; }

    /// <summary>A JSON file whose section <c>Tls</c> holds the module parameters.</summary>
    public string? AppSettings { get; init; }

    /// <summary>A tls.cfg file or directory (sets <c>config</c>).</summary>
    public string? TlsCfg { get; init; }

    /// <summary>True when no file was named, so the built-in default applies.</summary>
    public bool IsEmpty => Modparams is null && AppSettings is null && TlsCfg is null;

    /// <summary>Whether module-level parameters came from a file (so a certificate may be configured there).</summary>
    public bool HasModuleParameters => Modparams is not null || AppSettings is not null;

    /// <summary>What the sources are, for the log.</summary>
    public string Describe() => IsEmpty
        ? "built-in default"
        : string.Join(", ", new[] { ("modparams", Modparams), ("appsettings", AppSettings), ("tls.cfg", TlsCfg) }
            .Where(source => source.Item2 is not null)
            .Select(source => $"{source.Item1} {source.Item2}"));

    /// <summary>Reads the sources of <paramref name="parsed"/>.</summary>
    public static TlsOptionsSources From(CommandLineArguments parsed) => new()
    {
        Modparams = parsed.Single("--modparams"),
        AppSettings = parsed.Single("--appsettings"),
        TlsCfg = parsed.Single("--tls-cfg"),
    };

    /// <summary>
    /// Applies the sources over <paramref name="options"/>: modparams first, then appsettings, then <c>config</c> from
    /// --tls-cfg. Throws <see cref="TlsConfigurationException"/> with every error.
    /// </summary>
    public void ApplyTo(TlsModuleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Modparams is not null)
        {
            TlsModuleOptionsReader.ApplyModparamFile(options, Modparams);
        }

        if (AppSettings is not null)
        {
            ApplyAppSettings(options, AppSettings);
        }

        if (TlsCfg is not null)
        {
            string full = Path.GetFullPath(TlsCfg);
            options.Config = full;
            options.MainConfigDirectory ??= Directory.Exists(full) ? full : Path.GetDirectoryName(full);
        }
    }

    /// <summary>Applies section <c>Tls</c> of JSON file <paramref name="path"/> over <paramref name="options"/>.</summary>
    public static void ApplyAppSettings(TlsModuleOptions options, string path)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidDataException)
        {
            throw new TlsConfigurationException([new TlsConfigurationDiagnostic(path, 0, 0, $"cannot read the file: {e.Message}")]);
        }

        try
        {
            TlsModuleOptionsReader.ApplyConfiguration(options, configuration);
        }
        finally
        {
            (configuration as IDisposable)?.Dispose();
        }

        options.MainConfigDirectory ??= Path.GetDirectoryName(full);
    }
}
