using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Configuration;

/// <summary>
/// Parses one tls.cfg file with the grammar of Kamailio's core <c>cfg_parser</c> (spec §3): line-oriented,
/// <c>#</c> comments, names of letters/digits/<c>_</c> matched case-insensitively, values bare or quoted with
/// escapes, <c>[role:target]</c> headers. Unlike Kamailio, which stops at the first error, every error of the file
/// is collected: after one, parsing resumes on the next line, and options following a broken header are still
/// checked but belong to no profile.
/// </summary>
internal sealed class TlsCfgParser
{
    /// <summary>Kamailio's delimiter characters: single-character tokens, or part of a bare value.</summary>
    internal const string Delimiters = "=:;.,?[]/@!$%&*()-+|'";

    private readonly string _text;
    private readonly string _file;
    private readonly string? _mainConfigDirectory;
    private readonly List<TlsConfigurationDiagnostic> _errors;
    private readonly List<ParsedProfile> _profiles;
    private int _position;
    private int _line = 1;
    private int _lineStart;
    private bool _atLineStart = true;
    private Section? _section;

    private TlsCfgParser(string text, string file, string? mainConfigDirectory, List<TlsConfigurationDiagnostic> errors, List<ParsedProfile> profiles)
    {
        _text = text;
        _file = file;
        _mainConfigDirectory = mainConfigDirectory;
        _errors = errors;
        _profiles = profiles;
    }

    private enum Kind
    {
        Alpha,
        String,
        Delimiter,
        EndOfLine,
        EndOfFile,
        Error,
    }

    /// <summary>Parses <paramref name="text"/>, adding its profiles and errors to the lists given.</summary>
    internal static void Parse(
        string text, string file, string? mainConfigDirectory, List<TlsConfigurationDiagnostic> errors, List<ParsedProfile> profiles) =>
        new TlsCfgParser(text, file, mainConfigDirectory, errors, profiles).Run();

    private void Run()
    {
        while (true)
        {
            Token token = Next(extended: false);
            bool ok = token.Kind switch
            {
                Kind.EndOfFile => true,
                Kind.EndOfLine => true,
                Kind.Error => Fail(token, token.Text),
                Kind.Delimiter when token.Text == "[" => Header(token),
                Kind.Alpha => Option(token),
                _ => Fail(token, $"Syntax error: a section header or an option expected, found {Describe(token)}"),
            };

            if (!ok)
            {
                SkipLine();
            }

            if (token.Kind == Kind.EndOfFile)
            {
                break;
            }
        }

        CloseSection();
    }

    private bool Header(Token open)
    {
        CloseSection();

        // Options after a broken header are still checked, but belong to no profile.
        _section = new Section(TlsRole.Server, TlsProfileScope.Default, null, 0, open.Line, open.Column) { Discarded = true };

        Token type = Next(extended: false);
        if (type.Kind != Kind.Alpha)
        {
            return Fail(type, $"Syntax error, section type expected (server or client), found {Describe(type)}");
        }

        TlsRole role;
        switch (type.Text.ToUpperInvariant())
        {
            case "SERVER" or "SRV" or "S":
                role = TlsRole.Server;
                break;
            case "CLIENT" or "CLI" or "C":
                role = TlsRole.Client;
                break;
            default:
                return Fail(type, $"Invalid section type '{type.Text}': expected server, srv, s, client, cli or c");
        }

        if (!Expect(":", "after the section type"))
        {
            return false;
        }

        Token target = Next(extended: false);
        TlsProfileScope scope;
        IPAddress? address = null;
        int port = 0;
        if (target.Kind == Kind.Alpha && target.Text.ToUpperInvariant() is "DEFAULT" or "DEF" or "ANY" or "ALL")
        {
            scope = target.Text.ToUpperInvariant() is "DEFAULT" or "DEF" ? TlsProfileScope.Default : TlsProfileScope.Any;
            if (!Expect("]", $"(no port is allowed after '{target.Text}')"))
            {
                return false;
            }
        }
        else
        {
            scope = TlsProfileScope.Address;
            bool parsed = target switch
            {
                { Kind: Kind.Alpha } => TryIPv4(target, out address),
                { Kind: Kind.Delimiter, Text: "[" } => TryIPv6(target, out address),
                _ => Fail(target, $"Syntax error, IP address expected, found {Describe(target)}"),
            };
            if (!parsed || !Expect(":", "and a port after the IP address") || !TryPort(out port) || !Expect("]", "after the port"))
            {
                return false;
            }
        }

        if (!ExpectEndOfLine())
        {
            return false;
        }

        _section = new Section(role, scope, address, port, open.Line, open.Column);
        return true;
    }

    private bool TryIPv4(Token first, out IPAddress? address)
    {
        address = null;
        Span<byte> octets = stackalloc byte[4];
        Token token = first;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                Token dot = Next(extended: false);
                if (dot.Kind != Kind.Delimiter || dot.Text != ".")
                {
                    return Fail(dot, $"Invalid IP address: '.' expected, found {Describe(dot)}");
                }

                token = Next(extended: false);
            }

            if (token.Kind != Kind.Alpha || token.Text.Length > 3 || !token.Text.All(char.IsAsciiDigit)
                || !byte.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out octets[i]))
            {
                return Fail(token, i == 0 && token.Kind == Kind.Alpha && !token.Text.All(char.IsAsciiDigit)
                    ? $"Invalid IP address '{token.Text}': an IPv4 address, [IPv6 address], 'default' or 'any' expected"
                    : $"Invalid IP address: {Describe(token)} is not an IPv4 octet (0..255)");
            }
        }

        address = new IPAddress(octets);
        return true;
    }

    private bool TryIPv6(Token open, out IPAddress? address)
    {
        address = null;
        var text = new StringBuilder();
        while (true)
        {
            Token token = Next(extended: false);
            if (token.Kind == Kind.Delimiter && token.Text == "]")
            {
                break;
            }

            bool hexGroup = token.Kind == Kind.Alpha && token.Text.Length <= 4 && token.Text.All(char.IsAsciiHexDigit);
            bool colon = token.Kind == Kind.Delimiter && token.Text == ":";
            if (!hexGroup && !colon)
            {
                return Fail(token, token.Kind is Kind.EndOfLine or Kind.EndOfFile
                    ? "Syntax error, ']' expected after the IPv6 address"
                    : $"Invalid IPv6 address: {Describe(token)} is neither a group of 1 to 4 hex digits nor ':'");
            }

            text.Append(token.Text);
        }

        if (!IPAddress.TryParse(text.ToString(), out address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return Fail(open, $"Invalid IPv6 address '{text}'");
        }

        return true;
    }

    private bool TryPort(out int port)
    {
        port = 0;
        Token token = Next(extended: false);
        if (token.Kind != Kind.Alpha)
        {
            return Fail(token, $"Syntax error, port expected, found {Describe(token)}");
        }

        // Kamailio stores the port in 16 bits without a check, so 70000 silently becomes 4464; here it is an error.
        if (!token.Text.All(char.IsAsciiDigit) || !int.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            return Fail(token, $"Invalid port '{token.Text}': expected 0..65535 (0 matches any port)");
        }

        return true;
    }

    private bool Option(Token name)
    {
        if (!ProfileKeys.TryGet(name.Text, out ProfileKey key))
        {
            return Fail(name, $"Unsupported option '{name.Text}'");
        }

        if (_section is null)
        {
            return Fail(name, $"Unsupported option '{name.Text}' before the first section header: options belong to a [server:…] or [client:…] section");
        }

        if (!Expect("=", $"after '{name.Text}'"))
        {
            return false;
        }

        Token value = Next(extended: key.Type is ProfileKeyType.Text or ProfileKeyType.Path or ProfileKeyType.Method or ProfileKeyType.VerifyClient);
        if (value.Kind is Kind.EndOfLine or Kind.EndOfFile)
        {
            return Fail(value, $"Parameter value missing for '{name.Text}'");
        }

        // A password must not reach a log line through an error message: not even a character of it, nor the words
        // after a space of an unquoted one (which would otherwise show as "End of line expected, found '…'").
        if (key.IsSecret && (value.Kind is not (Kind.Alpha or Kind.String) || Next(extended: false).Kind is not (Kind.EndOfLine or Kind.EndOfFile)))
        {
            return Fail(value, $"Invalid value for '{name.Text}' (not shown: it is a secret); quote it, e.g. {name.Text} = \"my pass phrase\"");
        }

        if (value.Kind == Kind.Error)
        {
            return Fail(value, value.Text);
        }

        if (value.Kind is not (Kind.Alpha or Kind.String))
        {
            return Fail(value, key.Type switch
            {
                ProfileKeyType.Integer when value.Text == "-" => $"Invalid integer value for '{name.Text}': a negative number must be quoted, e.g. \"-1\"",
                ProfileKeyType.Integer => $"Invalid integer value {Describe(value)} for '{name.Text}'",
                ProfileKeyType.Boolean => $"Invalid boolean value {Describe(value)} for '{name.Text}'",
                _ => $"Invalid parameter value {Describe(value)} for '{name.Text}'",
            });
        }

        if (!key.IsSecret && !ExpectEndOfLine())
        {
            return false;
        }

        string? problem = key.Apply(_section, value.Text, _mainConfigDirectory);
        return problem is null || Fail(value, problem);
    }

    private void CloseSection()
    {
        if (_section is { Discarded: false } section)
        {
            TlsProfileDefinition definition = new TlsProfileDefinition
            {
                Role = section.Role,
                Scope = section.Scope,
                Address = section.Address,
                Port = section.Port,
                Settings = section.Settings,
                Source = $"{_file}:{section.Line}:{section.Column}",
            }.WithBuiltInDefaults(_mainConfigDirectory);
            _profiles.Add(new ParsedProfile(definition, _file, section.Line, section.Column));
        }

        _section = null;
    }

    private bool Expect(string delimiter, string context)
    {
        Token token = Next(extended: false);
        return token.Kind == Kind.Delimiter && token.Text == delimiter
            || Fail(token, token.Kind == Kind.Error ? token.Text : $"Syntax error, '{delimiter}' expected {context}, found {Describe(token)}");
    }

    private bool ExpectEndOfLine()
    {
        Token token = Next(extended: false);
        return token.Kind is Kind.EndOfLine or Kind.EndOfFile
            || Fail(token, token.Kind == Kind.Error ? token.Text : $"End of line expected, found {Describe(token)}");
    }

    private bool Fail(Token at, string message)
    {
        _errors.Add(new TlsConfigurationDiagnostic(_file, at.Line, at.Column, message));
        return false;
    }

    /// <summary>After an error: drop the rest of the line, unless the token at fault already ended it.</summary>
    private void SkipLine()
    {
        if (_atLineStart)
        {
            return;
        }

        while (_position < _text.Length && _text[_position] != '\n')
        {
            _position++;
        }

        if (_position < _text.Length)
        {
            NewLine();
        }
    }

    private Token Next(bool extended)
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\r')
        {
            _position++;
        }

        if (_position < _text.Length && _text[_position] == '#')
        {
            while (_position < _text.Length && _text[_position] != '\n')
            {
                _position++;
            }
        }

        if (_position >= _text.Length)
        {
            _atLineStart = true;
            return new Token(Kind.EndOfFile, string.Empty, _line, _position - _lineStart + 1);
        }

        int line = _line;
        int column = _position - _lineStart + 1;
        _atLineStart = false;
        char c = _text[_position];
        if (c == '\n')
        {
            NewLine();
            return new Token(Kind.EndOfLine, string.Empty, line, column);
        }

        if (c == '"')
        {
            return Quoted(line, column);
        }

        if (IsNameCharacter(c) || c == '\\' || extended && IsDelimiter(c))
        {
            return Bare(line, column, extended);
        }

        _position++;
        return IsDelimiter(c)
            ? new Token(Kind.Delimiter, c.ToString(), line, column)
            : new Token(Kind.Error, $"Invalid character {DescribeCharacter(c)}; quote the value to use it", line, column);
    }

    /// <summary>A run of name characters (and, for values, delimiters and <c>"</c>), with backslash escapes.</summary>
    private Token Bare(int line, int column, bool extended)
    {
        var value = new StringBuilder();
        while (_position < _text.Length)
        {
            char c = _text[_position];
            if (IsNameCharacter(c) || extended && (IsDelimiter(c) || c == '"'))
            {
                value.Append(c);
                _position++;
            }
            else if (c == '\\')
            {
                if (Escape(value, quoted: false) is { } error)
                {
                    return error;
                }
            }
            else
            {
                break;
            }
        }

        return new Token(Kind.Alpha, value.ToString(), line, column);
    }

    private Token Quoted(int line, int column)
    {
        _position++;
        var value = new StringBuilder();
        while (true)
        {
            if (_position >= _text.Length || _text[_position] == '\n')
            {
                return new Token(Kind.Error, "Unterminated string: closing '\"' missing", line, column);
            }

            char c = _text[_position];
            if (c == '"')
            {
                _position++;
                return new Token(Kind.String, value.ToString(), line, column);
            }

            if (c == '\\')
            {
                if (Escape(value, quoted: true) is { } error)
                {
                    return error;
                }
            }
            else
            {
                value.Append(c);
                _position++;
            }
        }
    }

    /// <summary>Reads the escape at the current backslash into <paramref name="value"/>; returns an error token when invalid.</summary>
    private Token? Escape(StringBuilder value, bool quoted)
    {
        int line = _line;
        int column = _position - _lineStart + 1;
        char next = _position + 1 < _text.Length ? _text[_position + 1] : '\0';
        if (_position + 1 >= _text.Length)
        {
            _position++;
            return new Token(Kind.Error, "Unexpected end of file after '\\'", line, column);
        }

        _position += 2;
        switch (next)
        {
            case '\\' or '"':
                value.Append(next);
                return null;
            case '#' or ' ' when !quoted:
                value.Append(next);
                return null;
            case 'n':
                value.Append('\n');
                return null;
            case 'r':
                value.Append('\r');
                return null;
            case 't':
                value.Append('\t');
                return null;
            case '\n':
                // A line continuation: the value goes on at the start of the next line.
                _position--;
                Continue();
                return null;
            case '\r' when _position < _text.Length && _text[_position] == '\n':
                Continue();
                return null;
            default:
                return new Token(Kind.Error, $"Unsupported escape character '\\{next}'", line, column);
        }
    }

    private void NewLine()
    {
        _position++;
        _line++;
        _lineStart = _position;
        _atLineStart = true;
    }

    /// <summary>Steps over the newline of a continued line: the line count moves on, the statement does not end.</summary>
    private void Continue()
    {
        NewLine();
        _atLineStart = false;
    }

    private static bool IsNameCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static bool IsDelimiter(char c) => Delimiters.Contains(c, StringComparison.Ordinal);

    private static string Describe(Token token) => token.Kind switch
    {
        Kind.EndOfLine => "the end of the line",
        Kind.EndOfFile => "the end of the file",
        Kind.String => $"\"{token.Text}\"",
        _ => $"'{token.Text}'",
    };

    private static string DescribeCharacter(char c) =>
        char.IsControl(c) || c > '~' ? $"U+{(int)c:X4}" : $"'{c}'";

    private readonly record struct Token(Kind Kind, string Text, int Line, int Column);

    /// <summary>A profile read from a file, with the place of its header for later rule errors.</summary>
    internal readonly record struct ParsedProfile(TlsProfileDefinition Definition, string File, int Line, int Column);

    /// <summary>The section being read.</summary>
    internal sealed class Section(TlsRole role, TlsProfileScope scope, IPAddress? address, int port, int line, int column)
    {
        internal TlsRole Role { get; } = role;

        internal TlsProfileScope Scope { get; } = scope;

        internal IPAddress? Address { get; } = address;

        internal int Port { get; } = port;

        internal int Line { get; } = line;

        internal int Column { get; } = column;

        internal bool Discarded { get; init; }

        internal TlsProfileSettings Settings { get; set; } = new();
    }
}
