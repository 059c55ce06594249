using System.Globalization;
using System.Text;
using OpenSslTls.Errors;

namespace OpenSslTls.Configuration;

/// <summary>
/// Reads <c>modparam("tls", "name", value)</c> statements pasted from a kamailio.cfg: strings in double or single
/// quotes, integers bare (decimal, <c>0x</c> hex, optionally signed, or Kamailio's <c>yes</c>/<c>no</c>/<c>on</c>/
/// <c>off</c>/<c>true</c>/<c>false</c>/<c>enable</c>/<c>disable</c>), comments <c>#</c>, <c>//</c> and
/// <c>/* */</c>, and the core assignment <c>tcp_connection_lifetime=N</c> (kept as a module parameter here). Other
/// modules' modparams, <c>loadmodule</c> lines, other core assignments (<c>name=value</c>) and
/// preprocessor directives (<c>#!…</c>, <c>!!…</c>) are ignored with a note. Anything else is an error. Every error of
/// the file is collected; after a syntax error reading resumes on the next line.
/// </summary>
internal sealed class ModparamFileParser
{
    private readonly string _text;
    private readonly string _file;
    private readonly TlsModuleOptions _options;
    private readonly List<TlsConfigurationDiagnostic> _errors = [];
    private readonly List<TlsConfigurationDiagnostic> _notes = [];
    private int _position;
    private int _line = 1;
    private int _lineStart;
    private int _lastTokenLine;
    private Token _current;

    private ModparamFileParser(string text, string file, TlsModuleOptions options)
    {
        _text = text;
        _file = file;
        _options = options;
    }

    private enum Kind
    {
        Identifier,
        String,
        Number,
        Punctuation,
        Error,
        End,
    }

    /// <summary>Applies the file's tls modparams to <paramref name="options"/>; returns (errors, notes).</summary>
    internal static (IReadOnlyList<TlsConfigurationDiagnostic> Errors, IReadOnlyList<TlsConfigurationDiagnostic> Notes) Parse(
        string text, string file, TlsModuleOptions options)
    {
        var parser = new ModparamFileParser(text, file, options);
        parser.Run();
        return (parser._errors, parser._notes);
    }

    private void Run()
    {
        Advance();
        while (_current.Kind != Kind.End)
        {
            if (_current.Is(';'))
            {
                Advance();
                continue;
            }

            Token start = _current;
            if (!TryStatement(out Token? failedAt, out string? problem))
            {
                Error(failedAt!.Value, problem!);
                Recover(failedAt.Value, start);
            }
        }
    }

    private bool TryStatement(out Token? failedAt, out string? problem)
    {
        failedAt = null;
        problem = null;
        Token name = _current;
        if (name.Kind == Kind.Error)
        {
            (failedAt, problem) = (name, name.Text);
            return false;
        }

        if (name.Kind != Kind.Identifier)
        {
            (failedAt, problem) = (name, $"expected modparam(\"tls\", \"name\", value), found {Describe(name)}");
            return false;
        }

        Advance();
        if (name.Text is "loadmodule" or "loadmodulex" or "loadpath" or "mpath")
        {
            // Written both as loadmodule "tls.so" and as loadmodule("tls.so").
            _notes.Add(At(name, $"'{name.Text}' ignored"));
            SkipRestOfLine(name.Line);
            return true;
        }

        if (_current.Is('=') && name.Text == ModuleParameters.ConnectionLifetimeName)
        {
            return TryCoreLifetime(out failedAt, out problem);
        }

        if (_current.Is('='))
        {
            _notes.Add(At(name, $"core parameter '{name.Text}' ignored"));
            SkipRestOfLine(name.Line);
            return true;
        }

        if (!_current.Is('('))
        {
            (failedAt, problem) = (_current, $"'(' expected after '{name.Text}', found {Describe(_current)}");
            return false;
        }

        Advance();
        List<Token> arguments = [];
        if (!_current.Is(')'))
        {
            while (true)
            {
                if (!TryValue(out Token value, out problem))
                {
                    failedAt = value;
                    return false;
                }

                arguments.Add(value);
                if (_current.Is(','))
                {
                    Advance();
                    continue;
                }

                if (_current.Is(')'))
                {
                    break;
                }

                (failedAt, problem) = (_current, $"',' or ')' expected, found {Describe(_current)}");
                return false;
            }
        }

        Advance();
        if (_current.Is(';'))
        {
            Advance();
        }

        Dispatch(name, arguments);
        return true;
    }

    /// <summary>
    /// Kamailio's core <c>tcp_connection_lifetime = N</c>: the idle limit once application data has passed, which this
    /// library keeps with the module parameters, so a pasted kamailio.cfg keeps its value.
    /// </summary>
    private bool TryCoreLifetime(out Token? failedAt, out string? problem)
    {
        failedAt = null;
        Advance();
        if (!TryValue(out Token value, out problem))
        {
            failedAt = value;
            return false;
        }

        if (_current.Is(';'))
        {
            Advance();
        }

        ModuleParameters.TryGet(ModuleParameters.ConnectionLifetimeName, out ModuleParameter parameter);
        string? error = value.Kind == Kind.Number
            ? parameter.TrySetInteger(_options, value.Number)
            : $"{parameter.Name} takes an integer, not the string \"{value.Text}\"; write the value without quotes";
        if (error is not null)
        {
            Error(value, error);
        }

        return true;
    }

    private bool TryValue(out Token value, out string? problem)
    {
        value = _current;
        problem = null;
        if (_current.Kind is Kind.String or Kind.Number)
        {
            Advance();
            return true;
        }

        if (_current.Kind == Kind.Identifier && ConfigValues.TryParseBoolean(_current.Text, out bool flag) && !char.IsAsciiDigit(_current.Text[0]))
        {
            value = _current with { Kind = Kind.Number, Number = flag ? 1 : 0 };
            Advance();
            return true;
        }

        if (_current.Is('-') || _current.Is('+'))
        {
            Token sign = _current;
            Advance();
            if (_current.Kind != Kind.Number)
            {
                (value, problem) = (_current, $"a number expected after '{sign.Text}', found {Describe(_current)}");
                return false;
            }

            value = sign with { Kind = Kind.Number, Number = sign.Is('-') ? -_current.Number : _current.Number };
            Advance();
            return true;
        }

        problem = _current.Kind == Kind.Error ? _current.Text : $"a value expected (a quoted string or an integer), found {Describe(_current)}";
        return false;
    }

    private void Dispatch(Token name, List<Token> arguments)
    {
        switch (name.Text)
        {
            case "modparam":
                Modparam(name, arguments);
                break;
            default:
                Error(name, $"'{name.Text}' is not read here: only modparam(\"tls\", \"name\", value) statements are");
                break;
        }
    }

    private void Modparam(Token name, List<Token> arguments)
    {
        if (arguments.Count != 3)
        {
            Error(name, $"modparam takes 3 arguments (module, parameter, value), not {arguments.Count}");
            return;
        }

        if (arguments[0].Kind != Kind.String || arguments[1].Kind != Kind.String)
        {
            Token wrong = arguments[0].Kind != Kind.String ? arguments[0] : arguments[1];
            Error(wrong, "modparam's module and parameter names must be quoted strings");
            return;
        }

        string module = arguments[0].Text;
        if (module != "tls")
        {
            _notes.Add(At(name, $"modparam for module '{module}' ignored"));
            return;
        }

        Token parameterName = arguments[1];
        Token value = arguments[2];
        if (!ModuleParameters.TryGet(parameterName.Text, out ModuleParameter parameter))
        {
            string? suggestion = ModuleParameters.SuggestionFor(parameterName.Text);
            Error(parameterName, $"unknown parameter '{parameterName.Text}' of module tls" + (suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)"));
            return;
        }

        string? problem;
        if (parameter.Type == ModuleParameterType.String)
        {
            problem = value.Kind == Kind.String
                ? parameter.TrySetString(_options, value.Text)
                : TlsOptionsView.IsSecret(parameter.Name)
                    ? $"{parameter.Name} takes a string, not an integer (not shown: it is a secret); quote the value"
                    : $"{parameter.Name} takes a string, not the integer {value.Number}; quote the value";
        }
        else
        {
            problem = value.Kind == Kind.Number
                ? parameter.TrySetInteger(_options, value.Number)
                : $"{parameter.Name} takes an integer, not the string \"{value.Text}\"; write the value without quotes";
        }

        if (problem is not null)
        {
            Error(value, problem);
        }
    }

    private void Recover(Token failedAt, Token statementStart)
    {
        // A token that opens its line (and is not where the broken statement began) starts the next statement:
        // resume there. Otherwise drop the rest of the line that holds the error.
        if (failedAt.StartsLine && failedAt.Offset != statementStart.Offset && failedAt.Kind != Kind.Error)
        {
            return;
        }

        while (_current.Kind != Kind.End && _current.Line <= failedAt.Line)
        {
            Advance();
        }
    }

    private void SkipRestOfLine(int line)
    {
        while (_current.Kind != Kind.End && _current.Line == line)
        {
            // Core values such as listen=tls:1.2.3.4:5061 are not tokens of this reader: skip raw text instead.
            if (_current.Kind == Kind.Error)
            {
                int end = _text.IndexOf('\n', _position);
                _position = end < 0 ? _text.Length : end;
            }

            Advance();
        }
    }

    private void Advance() => _current = Lex();

    private Token Lex()
    {
        while (true)
        {
            SkipSpace();
            if (_position >= _text.Length)
            {
                return MakeToken(Kind.End, _position, string.Empty);
            }

            char c = _text[_position];
            bool lineStart = _text.AsSpan(_lineStart, _position - _lineStart).IsWhiteSpace();
            if ((c == '#' && Peek(1) == '!' || c == '!' && Peek(1) == '!') && lineStart)
            {
                int start = _position;
                SkipToEndOfLine();
                _notes.Add(new TlsConfigurationDiagnostic(_file, _line, start - _lineStart + 1,
                    $"preprocessor directive '{_text[start.._position].TrimEnd()}' ignored"));
                continue;
            }

            if (c == '#' || c == '/' && Peek(1) == '/')
            {
                SkipToEndOfLine();
                continue;
            }

            if (c == '/' && Peek(1) == '*')
            {
                int start = _position;
                int startLine = _line;
                int startColumn = start - _lineStart + 1;
                int end = _text.IndexOf("*/", _position + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    _position = _text.Length;
                    return new Token(Kind.Error, "unterminated /* comment", 0, startLine, startColumn, start, false);
                }

                Consume(end + 2 - _position);
                continue;
            }

            break;
        }

        char first = _text[_position];
        int tokenStart = _position;
        if (first is '"' or '\'')
        {
            return LexString(first);
        }

        if (char.IsAsciiDigit(first))
        {
            return LexNumber();
        }

        if (char.IsAsciiLetter(first) || first == '_')
        {
            while (_position < _text.Length && (char.IsAsciiLetterOrDigit(_text[_position]) || _text[_position] == '_'))
            {
                _position++;
            }

            return MakeToken(Kind.Identifier, tokenStart, _text[tokenStart.._position]);
        }

        _position++;
        return first is '(' or ')' or ',' or ';' or '-' or '+' or '='
            ? MakeToken(Kind.Punctuation, tokenStart, first.ToString())
            : MakeToken(Kind.Error, tokenStart, $"unexpected character '{first}'");
    }

    private Token LexString(char quote)
    {
        int start = _position;
        int startLine = _line;
        int startColumn = start - _lineStart + 1;
        bool startsLine = _lastTokenLine != _line;
        _position++;
        var value = new StringBuilder();
        while (true)
        {
            if (_position >= _text.Length || _text[_position] == '\n')
            {
                _lastTokenLine = startLine;
                return new Token(Kind.Error, "unterminated string", 0, startLine, startColumn, start, startsLine);
            }

            char c = _text[_position++];
            if (c == quote)
            {
                break;
            }

            if (c != '\\')
            {
                value.Append(c);
                continue;
            }

            char escaped = _position < _text.Length ? _text[_position++] : '\0';
            switch (escaped)
            {
                case 'n': value.Append('\n'); break;
                case 'r': value.Append('\r'); break;
                case 't': value.Append('\t'); break;
                case '\\' or '"' or '\'': value.Append(escaped); break;
                default:
                    int escapeColumn = _position - 1 - _lineStart;
                    int end = _text.IndexOf('\n', _position);
                    _position = end < 0 ? _text.Length : end;
                    _lastTokenLine = startLine;
                    return new Token(Kind.Error, $"unsupported escape '\\{escaped}' in string", 0, startLine, escapeColumn, start, startsLine);
            }
        }

        _lastTokenLine = startLine;
        return new Token(Kind.String, value.ToString(), 0, startLine, startColumn, start, startsLine);
    }

    private Token LexNumber()
    {
        int start = _position;
        bool hex = _text[_position] == '0' && Peek(1) is 'x' or 'X';
        _position += hex ? 2 : 0;
        while (_position < _text.Length && (char.IsAsciiLetterOrDigit(_text[_position]) || _text[_position] == '_'))
        {
            _position++;
        }

        string text = _text[start.._position];
        bool parsed = hex
            ? long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long value) && text.Length > 2 && text.Length <= 17
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return parsed
            ? MakeToken(Kind.Number, start, text) with { Number = value }
            : MakeToken(Kind.Error, start, $"invalid number '{text}'");
    }

    private Token MakeToken(Kind kind, int start, string text)
    {
        bool startsLine = _lastTokenLine != _line;
        _lastTokenLine = _line;
        return new Token(kind, text, 0, _line, start - _lineStart + 1, start, startsLine);
    }

    private void SkipSpace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            Consume(1);
        }
    }

    private void SkipToEndOfLine()
    {
        while (_position < _text.Length && _text[_position] != '\n')
        {
            _position++;
        }
    }

    private void Consume(int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (_text[_position] == '\n')
            {
                _line++;
                _lineStart = _position + 1;
            }

            _position++;
        }
    }

    private char Peek(int offset) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

    private void Error(Token at, string message) => _errors.Add(At(at, message));

    private TlsConfigurationDiagnostic At(Token token, string message) => new(_file, token.Line, token.Column, message);

    private static string Describe(Token token) => token.Kind switch
    {
        Kind.End => "the end of the file",
        Kind.String => $"the string \"{token.Text}\"",
        Kind.Error => token.Text,
        _ => $"'{token.Text}'",
    };

    private readonly record struct Token(Kind Kind, string Text, long Number, int Line, int Column, int Offset, bool StartsLine)
    {
        public bool Is(char punctuation) => Kind == Kind.Punctuation && Text.Length == 1 && Text[0] == punctuation;
    }
}
