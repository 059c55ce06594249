using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenSslTls.Configuration;
using OpenSslTls.Errors;

namespace OpenSslTls.Extensions.Hosting;

/// <summary>
/// What binding found wrong with each <see cref="TlsModuleOptions"/> instance the options pipeline made: the
/// configuration reader refuses a bad section whole (throwing), but an options setup must not throw, so the errors are
/// kept here beside the instance, for the validator at start and for the hosted service on a change.
/// </summary>
internal sealed class TlsOptionsBinding
{
    private readonly ConditionalWeakTable<TlsModuleOptions, List<TlsConfigurationDiagnostic>> _errors = new();

    /// <summary>Set once the hosted service runs: from then on a bad change is refused by the service, not thrown.</summary>
    internal bool Started { get; set; }

    internal void Add(TlsModuleOptions options, IEnumerable<TlsConfigurationDiagnostic> errors)
    {
        List<TlsConfigurationDiagnostic> list = _errors.GetOrCreateValue(options);
        lock (list)
        {
            list.AddRange(errors);
        }
    }

    /// <summary>Every problem of <paramref name="options"/>: what binding found, then the module's own range checks.</summary>
    internal List<string> Problems(TlsModuleOptions options)
    {
        List<string> problems = [];
        if (_errors.TryGetValue(options, out List<TlsConfigurationDiagnostic>? bound))
        {
            lock (bound)
            {
                problems.AddRange(bound.Select(error => error.ToString()));
            }
        }

        // Binding errors leave the values unchanged (the reader applies a section whole or not at all), so the checks
        // below only add what code (an Action<TlsModuleOptions>) set out of range.
        try
        {
            options.Validate();
        }
        catch (TlsConfigurationException e)
        {
            problems.AddRange(e.Errors.Select(error => error.ToString()));
        }

        return problems;
    }
}

/// <summary>Applies a configuration section with the module's configuration reader (Kamailio and .NET names, profiles).</summary>
internal sealed class TlsSectionSetup(IConfiguration section, TlsOptionsBinding binding) : IConfigureOptions<TlsModuleOptions>
{
    public void Configure(TlsModuleOptions options)
    {
        try
        {
            TlsModuleOptionsReader.ApplySection(options, section);
        }
        catch (TlsConfigurationException e)
        {
            binding.Add(options, e.Errors);
        }
    }
}

/// <summary>Relative file names resolve against the host's content root unless <c>MainConfigDirectory</c> says otherwise.</summary>
internal sealed class TlsContentRootSetup(Microsoft.Extensions.Hosting.IHostEnvironment? environment = null) : IConfigureOptions<TlsModuleOptions>
{
    public void Configure(TlsModuleOptions options)
    {
        if (environment is { ContentRootPath.Length: > 0 } host)
        {
            options.MainConfigDirectory ??= host.ContentRootPath;
        }
    }
}

/// <summary>
/// Validates the options (at start with <c>ValidateOnStart</c>, and whenever they are made): every binding error by
/// key path, every range error by Kamailio name. Once the host runs, a change is checked by the hosted service
/// instead, which refuses it and logs why: a throwing validator there would escape from the configuration's reload.
/// </summary>
internal sealed class TlsOptionsValidator(TlsOptionsBinding binding) : IValidateOptions<TlsModuleOptions>
{
    public ValidateOptionsResult Validate(string? name, TlsModuleOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        if (binding.Started)
        {
            return ValidateOptionsResult.Skip;
        }

        List<string> problems = binding.Problems(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
