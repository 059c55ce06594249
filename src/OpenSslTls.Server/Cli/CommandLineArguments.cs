namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>
/// A command's arguments split into options and positionals. Options are <c>--name value</c> or <c>--name=value</c>;
/// flags stand alone; options in <c>optionalValues</c> take a value only when the next argument is one of their
/// allowed words (so <c>--verify-client</c> alone means its default; any other word after it is refused with the valid
/// ones). <c>--</c> ends the options.
/// </summary>
internal sealed class CommandLineArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private CommandLineArguments()
    {
    }

    /// <summary>Arguments that are not options, in order.</summary>
    public IReadOnlyList<string> Positionals { get; private set; } = [];

    /// <summary>Splits <paramref name="args"/>; throws <see cref="CommandLineException"/> for an unknown option or a missing value.</summary>
    public static CommandLineArguments Parse(
        IReadOnlyList<string> args,
        IReadOnlyCollection<string> valueOptions,
        IReadOnlyCollection<string> flags,
        IReadOnlyDictionary<string, IReadOnlyCollection<string>>? optionalValues = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(valueOptions);
        ArgumentNullException.ThrowIfNull(flags);
        var parsed = new CommandLineArguments();
        var positionals = new List<string>();
        bool optionsEnded = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (optionsEnded || !arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                if (arg == "--" && !optionsEnded)
                {
                    optionsEnded = true;
                    continue;
                }

                positionals.Add(arg);
                continue;
            }

            int equals = arg.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? arg : arg[..equals];
            string? inline = equals < 0 ? null : arg[(equals + 1)..];
            if (flags.Contains(name))
            {
                if (inline is not null)
                {
                    throw new CommandLineException($"{name} takes no value");
                }

                parsed.Add(name, string.Empty);
            }
            else if (optionalValues is not null && optionalValues.TryGetValue(name, out IReadOnlyCollection<string>? words))
            {
                if (inline is null && i + 1 < args.Count && words.Contains(args[i + 1]))
                {
                    inline = args[++i];
                }
                else if (inline is null && i + 1 < args.Count && !args[i + 1].StartsWith('-'))
                {
                    // Not one of its words and not the next option: a mistyped value (the commands using optional
                    // values take no positionals), so name it and the valid words instead of "unexpected argument".
                    throw new CommandLineException($"{name} '{args[i + 1]}': use {Words(words)}");
                }

                if (inline is not null && !words.Contains(inline))
                {
                    throw new CommandLineException($"{name} '{inline}': use {Words(words)}");
                }

                parsed.Add(name, inline ?? string.Empty);
            }
            else if (valueOptions.Contains(name))
            {
                if (inline is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new CommandLineException($"{name} needs a value");
                    }

                    inline = args[++i];
                }

                parsed.Add(name, inline);
            }
            else
            {
                throw new CommandLineException($"unknown option {name}");
            }
        }

        parsed.Positionals = positionals;
        return parsed;
    }

    /// <summary>Whether <paramref name="option"/> was given (with or without a value).</summary>
    public bool Has(string option) => _values.ContainsKey(option);

    /// <summary>Every value of a repeatable option, in order.</summary>
    public IReadOnlyList<string> All(string option) => _values.TryGetValue(option, out List<string>? values) ? values : [];

    /// <summary>The value of an option that may appear once; null when absent. Throws <see cref="CommandLineException"/> when repeated.</summary>
    public string? Single(string option)
    {
        IReadOnlyList<string> values = All(option);
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw new CommandLineException($"{option} may be given only once"),
        };
    }

    /// <summary>"a, b, c or d".</summary>
    internal static string Words(IReadOnlyCollection<string> words) =>
        words.Count <= 1 ? string.Join(string.Empty, words) : $"{string.Join(", ", words.SkipLast(1))} or {words.Last()}";

    private void Add(string name, string value)
    {
        if (!_values.TryGetValue(name, out List<string>? values))
        {
            _values[name] = values = [];
        }

        values.Add(value);
    }
}
