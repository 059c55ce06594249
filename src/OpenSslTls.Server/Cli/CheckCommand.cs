using System.Globalization;
using System.Text.RegularExpressions;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Configuration;
using OpenSslTls.Errors;
using OpenSslTls.Module;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>
/// <c>openssltls check FILE</c>, like <c>kamailio -c</c>: reads a tls.cfg, a modparam file or an appsettings.json
/// (by its name and content), builds the profile set so missing certificates are found too, prints the resolved
/// profiles and every error as <c>file:line:column: message</c>. Exit code 1 when there is any error.
/// </summary>
internal static partial class CheckCommand
{
    private static readonly string[] s_valueOptions = ["--as"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        string file;
        string kind;
        try
        {
            var parsed = CommandLineArguments.Parse(args, s_valueOptions, []);
            if (parsed.Positionals.Count != 1)
            {
                throw new CommandLineException(parsed.Positionals.Count == 0 ? "which file? check <tls.cfg|modparam file|appsettings.json>" : $"unexpected argument '{parsed.Positionals[1]}'");
            }

            file = parsed.Positionals[0];
            kind = parsed.Single("--as") ?? Detect(file);
            if (kind is not ("tls-cfg" or "modparams" or "appsettings"))
            {
                throw new CommandLineException($"--as '{kind}': use tls-cfg, modparams or appsettings");
            }
        }
        catch (CommandLineException e)
        {
            await errors.WriteLineAsync($"openssltls check: {e.Message} {UsageText.Hint("check")}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        if (!File.Exists(file) && !Directory.Exists(file))
        {
            await output.WriteLineAsync($"{file}: no such file or directory").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var sources = kind switch
        {
            "modparams" => new TlsOptionsSources { Modparams = file },
            "appsettings" => new TlsOptionsSources { AppSettings = file },
            _ => new TlsOptionsSources { TlsCfg = file },
        };
        await output.WriteLineAsync($"checking {file} as {kind}").ConfigureAwait(false);
        var problems = new List<string>();
        var options = new TlsModuleOptions();
        try
        {
            sources.ApplyTo(options);
            options.Validate();
            if (options.EventCallback is { Length: > 0 } callback && !TlsEventCallbacks.Names.Contains(callback, StringComparer.Ordinal))
            {
                // What serve and send would refuse at start (TlsModule.Create): reported with the other problems.
                problems.Add($"event_callback: no event handler is named '{callback}' (openssltls has {string.Join(", ", TlsEventCallbacks.Names)})");
            }

            // Loaded as serve would (honouring tls_force_run): the version gate is part of what check checks.
            var runtimeOptions = new OpenSslRuntimeOptions();
            options.ApplyTo(runtimeOptions);
            OpenSslRuntime.Initialize(runtimeOptions);
            using TlsProfileSet set = TlsProfileSet.Load(options);
            await PrintProfilesAsync(set.Definitions, output).ConfigureAwait(false);
            foreach (TlsParameterNote note in options.IneffectiveParameters())
            {
                // Not errors (Kamailio accepts them too), but never silently ignored.
                await output.WriteLineAsync("note: " + note).ConfigureAwait(false);
            }
        }
        catch (TlsConfigurationException e)
        {
            problems.AddRange(e.Errors.Count > 0 ? e.Errors.Select(error => error.ToString()) : [e.Message]);
        }
        catch (TlsProfileSetException e)
        {
            // The file parsed: show its profiles as read, then what could not be built from them.
            if (options.ResolveConfigPath() is { } config)
            {
                TlsConfigDocument document = TlsConfigReader.Read(config, options.MainConfigDirectory);
                await PrintProfilesAsync([.. document.Profiles.Select(profile => profile.WithBuiltInDefaults(options.MainConfigDirectory))], output).ConfigureAwait(false);
            }

            problems.AddRange(ErrorText.Lines(e));
        }
        catch (Exception e) when (e is OpenSslException or OpenSslVersionException or IOException or UnauthorizedAccessException or InvalidOperationException or DllNotFoundException or TlsEngineException)
        {
            problems.Add($"{file}: {ErrorText.Short(e)}");
        }

        foreach (string problem in problems)
        {
            await output.WriteLineAsync(problem).ConfigureAwait(false);
        }

        await output.WriteLineAsync(problems.Count == 0
            ? "configuration OK"
            : string.Create(CultureInfo.InvariantCulture, $"{problems.Count} error(s)")).ConfigureAwait(false);
        return problems.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>The kind of <paramref name="file"/>: appsettings for .json, modparams when it has modparam( lines, else tls.cfg.</summary>
    internal static string Detect(string file)
    {
        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return "appsettings";
        }

        if (File.Exists(file))
        {
            try
            {
                foreach (string line in File.ReadLines(file))
                {
                    string trimmed = line.TrimStart();
                    if (trimmed.StartsWith("modparam", StringComparison.Ordinal) || trimmed.StartsWith("loadmodule", StringComparison.Ordinal))
                    {
                        return "modparams";
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "tls-cfg";
            }
        }

        return "tls-cfg";
    }

    /// <summary>A PKCS#11 URI's <c>pin-value=</c> (RFC 7512) inside a /uri: or /engine: key: a secret, never printed.</summary>
    [GeneratedRegex(@"(?<name>pin-value=)[^;?&]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PinValue();

    private static async Task PrintProfilesAsync(IReadOnlyList<TlsProfileDefinition> definitions, TextWriter output)
    {
        foreach (TlsProfileDefinition definition in definitions)
        {
            TlsProfileSettings s = definition.Settings;
            await output.WriteLineAsync($"[{definition.Label}]{(definition.Source is null ? string.Empty : " (" + definition.Source + ")")}").ConfigureAwait(false);
            foreach ((string key, string? value) in new (string, string?)[]
            {
                ("method", TlsMethodNames.ToName(s.Method)),
                ("certificate", s.Certificate),
                ("private_key", s.PrivateKey is null ? null : PinValue().Replace(s.PrivateKey, "${name}(hidden)")),
                ("private_key_password", s.PrivateKeyPassword is null ? null : "(set, not shown)"),
                ("ca_list", s.CaList),
                ("ca_path", s.CaPath),
                ("crl", s.Crl),
                ("verify_certificate", s.VerifyCertificate ? "yes" : "no"),
                ("require_certificate", s.RequireCertificate ? "yes" : "no"),
                ("verify_depth", s.VerifyDepth.ToString(CultureInfo.InvariantCulture)),
                ("verify_client", definition.Role == TlsRole.Server ? s.VerifyClient.ToString() : null),
                ("cipher_list", s.CipherList),
                ("cipher_suites", s.CipherSuites),
                ("groups", s.Groups),
                ("server_name", s.ServerName),
                ("server_id", s.ServerId),
            })
            {
                if (value is not null)
                {
                    await output.WriteLineAsync($"\t{key}: {value}").ConfigureAwait(false);
                }
            }
        }
    }
}
