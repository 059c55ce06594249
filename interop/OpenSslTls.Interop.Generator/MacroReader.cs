using System.Text;

namespace OpenSslTls.Interop.Generator;

/// <summary>A macro as it stands after the whole umbrella header was preprocessed.</summary>
/// <param name="Header">The OpenSSL header that (last) defined it, or null for any other file.</param>
/// <param name="Expansion">The replacement list (of a function-like macro: its body), re-spaced canonically (see <see cref="MacroReader.Canonicalize"/>).</param>
internal sealed record MacroDefinition(string Name, string Expansion, string? Header, bool IsFunctionLike);

/// <summary>
/// Reads <c>clang -E -dD</c> output: every #define/#undef in order, with line markers telling which file
/// each one came from. (<c>-dM</c> gives the same final set but not the defining header, which decides
/// whether a constant belongs to libssl or libcrypto.)
/// </summary>
internal static class MacroReader
{
    /// <param name="openSslFiles">Receives the full path of every OpenSSL header the preprocessor entered.</param>
    public static Dictionary<string, MacroDefinition> Read(string preprocessed, ISet<string> openSslFiles)
    {
        var macros = new Dictionary<string, MacroDefinition>(StringComparer.Ordinal);
        string? currentFile = null;
        foreach (var line in preprocessed.Split('\n'))
        {
            if (line.StartsWith("#define ", StringComparison.Ordinal))
            {
                var definition = ParseDefine(line["#define ".Length..], AstReader.OpenSslHeaderName(currentFile));
                macros[definition.Name] = definition;
            }
            else if (line.StartsWith("#undef ", StringComparison.Ordinal))
            {
                macros.Remove(line["#undef ".Length..].Trim());
            }
            else if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                // Line marker: # <line> "<file>" <flags>
                var open = line.IndexOf('"', StringComparison.Ordinal);
                var close = line.LastIndexOf('"');
                if (open >= 0 && close > open)
                {
                    currentFile = line[(open + 1)..close];
                    if (AstReader.OpenSslHeaderName(currentFile) is not null)
                    {
                        openSslFiles.Add(Path.GetFullPath(currentFile));
                    }
                }
            }
        }

        return macros;
    }

    private static MacroDefinition ParseDefine(string text, string? header)
    {
        var end = 0;
        while (end < text.Length && IsIdentifierChar(text[end]))
        {
            end++;
        }

        var name = text[..end];
        var isFunctionLike = end < text.Length && text[end] == '(';
        var body = isFunctionLike ? text[(text.IndexOf(')', end) + 1)..] : text[end..];
        return new MacroDefinition(name, Canonicalize(body), header, isFunctionLike);
    }

    /// <summary>
    /// Re-spaces a replacement list from its tokens alone, so the NativeTypeName text does not depend on
    /// how a header release happened to format the macro (3.0.17 and 3.0.22 differ only in whitespace).
    /// Binary operators get one space either side; nothing goes inside parentheses, after unary operators,
    /// between a name and its call parentheses, or after a cast's closing parenthesis.
    /// </summary>
    public static string Canonicalize(string body)
    {
        var tokens = Tokenize(body);
        var builder = new StringBuilder();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (i > 0 && NeedsSpace(tokens, i))
            {
                builder.Append(' ');
            }

            builder.Append(tokens[i]);
        }

        return builder.ToString();
    }

    private static bool NeedsSpace(List<string> tokens, int index)
    {
        var previous = tokens[index - 1];
        var current = tokens[index];
        if (previous is "(" or "[" || current is ")" or "]" or ",")
        {
            return false;
        }

        if (current == "(" && IsWord(previous))
        {
            return false;
        }

        if (previous == ")" && (IsWord(current) || current == "(" || current[0] is '"' or '\''))
        {
            return false;
        }

        if (previous is "-" or "+" or "~" or "!" or "*" or "&" && IsUnary(tokens, index - 1))
        {
            return false;
        }

        return true;
    }

    private static bool IsUnary(List<string> tokens, int index)
    {
        if (index == 0)
        {
            return true;
        }

        var before = tokens[index - 1];
        return !IsWord(before) && before is not (")" or "]") && before[0] is not ('"' or '\'');
    }

    private static bool IsWord(string token) => IsIdentifierChar(token[0]) || token[0] == '.' && token.Length > 1 && char.IsAsciiDigit(token[1]);

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static readonly string[] Punctuators =
    [
        "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
        "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##",
    ];

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            if (c is '"' or '\'' || (IsIdentifierChar(c) && !char.IsAsciiDigit(c) && LiteralPrefixLength(text, i) is var prefix && prefix > 0))
            {
                i += c is '"' or '\'' ? 0 : LiteralPrefixLength(text, i);
                var quote = text[i++];
                while (i < text.Length && text[i] != quote)
                {
                    i += text[i] == '\\' ? 2 : 1;
                }

                i = Math.Min(i + 1, text.Length);
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                // pp-number: digits, letters, '.', '_' and signed exponents.
                i++;
                while (i < text.Length)
                {
                    if (IsIdentifierChar(text[i]) || text[i] == '.')
                    {
                        i++;
                    }
                    else if (text[i] is '+' or '-' && text[i - 1] is 'e' or 'E' or 'p' or 'P')
                    {
                        i++;
                    }
                    else
                    {
                        break;
                    }
                }
            }
            else if (IsIdentifierChar(c))
            {
                while (i < text.Length && IsIdentifierChar(text[i]))
                {
                    i++;
                }
            }
            else
            {
                var punctuator = Punctuators.FirstOrDefault(p => string.CompareOrdinal(text, i, p, 0, p.Length) == 0);
                i += punctuator?.Length ?? 1;
            }

            tokens.Add(text[start..i]);
        }

        return tokens;
    }

    /// <summary>Length of an encoding prefix (L, u, U, u8) directly followed by a quote, else 0.</summary>
    private static int LiteralPrefixLength(string text, int index)
    {
        foreach (var prefix in (string[])["u8", "L", "u", "U"])
        {
            var after = index + prefix.Length;
            if (string.CompareOrdinal(text, index, prefix, 0, prefix.Length) == 0
                && after < text.Length && text[after] is '"' or '\''
                && (index == 0 || !IsIdentifierChar(text[index - 1])))
            {
                return prefix.Length;
            }
        }

        return 0;
    }
}
