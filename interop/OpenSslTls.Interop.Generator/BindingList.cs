using System.Text.RegularExpressions;

namespace OpenSslTls.Interop.Generator;

/// <summary>One include or exclude line of the binding list.</summary>
/// <param name="Pattern">A name, or a glob with <c>*</c> and <c>?</c>.</param>
/// <param name="Reason">The comment on an exclusion (mandatory there, so the list documents itself).</param>
internal sealed record BindingPattern(string Pattern, int Line, string? Reason)
{
    private readonly Regex _regex = new(
        "^" + Regex.Escape(Pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$",
        RegexOptions.CultureInvariant);

    /// <summary>A plain name, not a glob: the generator insists that it ends up bound.</summary>
    public bool IsExact => Pattern.IndexOfAny(['*', '?']) < 0;

    public bool Matches(string name) => IsExact ? Pattern == name : _regex.IsMatch(name);
}

/// <summary>Include and exclude patterns for one kind of declaration.</summary>
internal sealed class BindingSection
{
    public List<BindingPattern> Includes { get; } = [];

    public List<BindingPattern> Excludes { get; } = [];

    /// <summary>Patterns that selected or rejected at least one name (to report dead patterns).</summary>
    public HashSet<BindingPattern> Used { get; } = [];

    public bool IsSelected(string name)
    {
        BindingPattern? include = null;
        foreach (var pattern in Includes)
        {
            if (pattern.Matches(name))
            {
                include = pattern;
                Used.Add(pattern);
            }
        }

        if (include is null)
        {
            return false;
        }

        foreach (var pattern in Excludes)
        {
            if (pattern.Matches(name))
            {
                Used.Add(pattern);
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// The checked-in input <c>interop/bindings.txt</c>: which functions, constants and struct layouts to bind,
/// and which headers belong to libssl. See interop/README.md for the format.
/// </summary>
internal sealed class BindingList
{
    public BindingSection Functions { get; } = new();

    public BindingSection Constants { get; } = new();

    /// <summary>Records bound with their field layout instead of as opaque structs: a typedef name or <c>struct tag</c>.</summary>
    public List<BindingPattern> Layouts { get; } = [];

    /// <summary>Header file names whose functions and constants live in libssl; every other header is libcrypto.</summary>
    public HashSet<string> SslHeaders { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Functions emitted with <c>[SuppressGCTransition]</c> (ClangSharp's <c>--with-suppressgctransition</c>): tiny,
    /// non-blocking calls on the record path that never call back into managed code. Each must be bound.
    /// </summary>
    public List<BindingPattern> SuppressGcTransition { get; } = [];

    public static BindingList Load(string path)
    {
        var list = new BindingList();
        string? section = null;
        var lineNumber = 0;
        foreach (var rawLine in File.ReadLines(path))
        {
            lineNumber++;
            var hash = rawLine.IndexOf('#', StringComparison.Ordinal);
            var comment = hash >= 0 ? rawLine[(hash + 1)..].Trim() : null;
            var line = (hash >= 0 ? rawLine[..hash] : rawLine).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1].Trim();
                if (section is not ("functions" or "constants" or "layouts" or "ssl-headers" or "suppress-gc-transition"))
                {
                    throw Error(path, lineNumber, $"unknown section [{section}]");
                }

                continue;
            }

            var isExclude = line.StartsWith('-');
            var pattern = isExclude ? line[1..].Trim() : line;
            if (pattern.Length == 0 || (section != "layouts" && pattern.Any(char.IsWhiteSpace)))
            {
                throw Error(path, lineNumber, $"malformed entry '{line}'");
            }

            if (isExclude && string.IsNullOrEmpty(comment))
            {
                throw Error(path, lineNumber, $"exclusion '{pattern}' needs a '# reason' comment");
            }

            var entry = new BindingPattern(pattern, lineNumber, isExclude ? comment : null);
            switch (section)
            {
                case "functions":
                    (isExclude ? list.Functions.Excludes : list.Functions.Includes).Add(entry);
                    break;
                case "constants":
                    (isExclude ? list.Constants.Excludes : list.Constants.Includes).Add(entry);
                    break;
                case "layouts" when !isExclude:
                    list.Layouts.Add(entry);
                    break;
                case "ssl-headers" when !isExclude:
                    list.SslHeaders.Add(pattern);
                    break;
                case "suppress-gc-transition" when !isExclude && !pattern.Contains('*') && !pattern.Contains('?'):
                    list.SuppressGcTransition.Add(entry);
                    break;
                default:
                    throw Error(path, lineNumber, section is null ? "entry before the first [section]" : $"'-' is not allowed in [{section}]");
            }
        }

        return list;
    }

    private static GeneratorException Error(string path, int line, string message) => new($"{path}:{line}: {message}");
}
