using System.Globalization;

namespace OpenSslTls.Configuration;

/// <summary>How Kamailio types a module parameter: modparam values are quoted strings or bare integers.</summary>
internal enum ModuleParameterType
{
    /// <summary>A quoted string in a modparam line.</summary>
    String,

    /// <summary>A bare integer in a modparam line (booleans are integers: 0 off, anything else on).</summary>
    Integer,
}

/// <summary>
/// One <c>modparam("tls", …)</c> parameter: its Kamailio name and type, how it maps onto a
/// <see cref="TlsModuleOptions"/> property, and its range check. Every source (modparam lines, configuration keys,
/// code) goes through the same check, so messages agree wherever a value came from.
/// </summary>
internal sealed class ModuleParameter
{
    private readonly Func<TlsModuleOptions, string?>? _getString;
    private readonly Action<TlsModuleOptions, string?>? _setString;
    private readonly Func<string?, string?>? _checkString;
    private readonly Func<TlsModuleOptions, int>? _getInteger;
    private readonly Action<TlsModuleOptions, int>? _setInteger;
    private readonly Func<int, string?>? _checkInteger;

    private ModuleParameter(
        string name,
        ModuleParameterType type,
        bool isBoolean,
        Func<TlsModuleOptions, string?>? getString,
        Action<TlsModuleOptions, string?>? setString,
        Func<string?, string?>? checkString,
        Func<TlsModuleOptions, int>? getInteger,
        Action<TlsModuleOptions, int>? setInteger,
        Func<int, string?>? checkInteger)
    {
        Name = name;
        Type = type;
        IsBoolean = isBoolean;
        _getString = getString;
        _setString = setString;
        _checkString = checkString;
        _getInteger = getInteger;
        _setInteger = setInteger;
        _checkInteger = checkInteger;
    }

    /// <summary>The Kamailio name, e.g. <c>verify_depth</c>.</summary>
    internal string Name { get; }

    internal ModuleParameterType Type { get; }

    /// <summary>A boolean integer (0 off, anything else on); configuration text may also spell it <c>true</c>/<c>false</c>.</summary>
    internal bool IsBoolean { get; }

    /// <summary>A string parameter; <paramref name="check"/> returns the problem with a value (null: fine).</summary>
    internal static ModuleParameter String(
        string name, Func<TlsModuleOptions, string?> get, Action<TlsModuleOptions, string?> set, Func<string?, string?> check) =>
        new(name, ModuleParameterType.String, false, get, set, check, null, null, null);

    /// <summary>An integer parameter; <paramref name="check"/> returns the problem with a value (null: fine).</summary>
    internal static ModuleParameter Integer(
        string name, Func<TlsModuleOptions, int> get, Action<TlsModuleOptions, int> set, Func<int, string?> check) =>
        new(name, ModuleParameterType.Integer, false, null, null, null, get, set, check);

    /// <summary>
    /// A boolean parameter backed by a <see cref="bool"/> property: an integer where, as in Kamailio (which tests it
    /// as a C int), 0 is off and any other value, negative ones included, is on (its documented example sets
    /// <c>tls_force_run</c> to 11). It reads back as 0 or 1.
    /// </summary>
    internal static ModuleParameter Boolean(string name, Func<TlsModuleOptions, bool> get, Action<TlsModuleOptions, bool> set) =>
        new(name, ModuleParameterType.Integer, true, null, null, null,
            options => get(options) ? 1 : 0,
            (options, value) => set(options, value != 0),
            _ => null);

    /// <summary>The problem with the value <paramref name="options"/> holds now, or null.</summary>
    internal string? Check(TlsModuleOptions options) =>
        Type == ModuleParameterType.Integer ? _checkInteger!(_getInteger!(options)) : _checkString!(_getString!(options));

    /// <summary>Sets an integer value after checking it; returns the problem instead when it is out of range.</summary>
    internal string? TrySetInteger(TlsModuleOptions options, long value)
    {
        if (value is < int.MinValue or > int.MaxValue)
        {
            return $"{Name}: {value} is out of range";
        }

        string? problem = _checkInteger!((int)value);
        if (problem is null)
        {
            _setInteger!(options, (int)value);
        }

        return problem;
    }

    /// <summary>Sets a string value after checking it; returns the problem instead when it is not acceptable.</summary>
    internal string? TrySetString(TlsModuleOptions options, string value)
    {
        string? problem = _checkString!(value);
        if (problem is null)
        {
            _setString!(options, value);
        }

        return problem;
    }

    /// <summary>
    /// Sets the parameter from untyped configuration text (appsettings, environment variables): integers in decimal,
    /// 0/1 parameters also as <c>true</c>/<c>false</c>/<c>yes</c>/<c>no</c>/<c>on</c>/<c>off</c>.
    /// </summary>
    internal string? TrySetText(TlsModuleOptions options, string text)
    {
        if (Type == ModuleParameterType.String)
        {
            return TrySetString(options, text);
        }

        if (IsBoolean && ConfigValues.TryParseBoolean(text, out bool flag))
        {
            return TrySetInteger(options, flag ? 1 : 0);
        }

        return long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number)
            ? TrySetInteger(options, number)
            : IsBoolean
                ? $"{Name} takes a boolean (an integer, 0 off and anything else on, or true/false), not '{text}'"
                : $"{Name} takes an integer, not '{text}'";
    }

    /// <summary>The value as Kamailio text: a bare integer, or the raw string (null when unset).</summary>
    internal string? GetText(TlsModuleOptions options) =>
        Type == ModuleParameterType.Integer
            ? _getInteger!(options).ToString(CultureInfo.InvariantCulture)
            : _getString!(options);
}
