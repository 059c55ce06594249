using OpenSslTls.Profiles;

namespace OpenSslTls.Module;

/// <summary>
/// One variable of Kamailio's cfg group <c>tls</c> (its <c>tls_cfg_def</c> table): name, type, whether it can be
/// set at runtime with its range, and where its value lives — the runtime parameters for the writable ones, the
/// start-up modparam (<see cref="ModuleParameter"/>, a Kamailio modparam name) for the read-only ones.
/// </summary>
internal sealed class TlsConfigVariableDefinition
{
    private TlsConfigVariableDefinition(string name, bool isInteger, string? moduleParameter, int minimum, int maximum,
        Func<TlsRuntimeParameters, string?>? read, Action<TlsRuntimeParameters, int>? writeInteger, Action<TlsRuntimeParameters, string>? writeString)
    {
        Name = name;
        IsInteger = isInteger;
        ModuleParameter = moduleParameter;
        Minimum = minimum;
        Maximum = maximum;
        Read = read;
        WriteInteger = writeInteger;
        WriteString = writeString;
    }

    /// <summary>The cfg name (<c>log</c>, not the modparam's <c>tls_log</c>).</summary>
    internal string Name { get; }

    internal bool IsInteger { get; }

    /// <summary>The modparam the value comes from; null for the two tls.cfg-only variables (server_name_mode, server_id).</summary>
    internal string? ModuleParameter { get; }

    internal int Minimum { get; }

    internal int Maximum { get; }

    internal bool IsWritable => WriteInteger is not null || WriteString is not null;

    /// <summary>The live value of a writable variable.</summary>
    internal Func<TlsRuntimeParameters, string?>? Read { get; }

    internal Action<TlsRuntimeParameters, int>? WriteInteger { get; }

    internal Action<TlsRuntimeParameters, string>? WriteString { get; }

    /// <summary>A read-only integer shown from the modparam <paramref name="moduleParameter"/>.</summary>
    internal static TlsConfigVariableDefinition FixedInteger(string name, string? moduleParameter) =>
        new(name, true, moduleParameter, 0, 0, null, null, null);

    /// <summary>A read-only string shown from the modparam <paramref name="moduleParameter"/>.</summary>
    internal static TlsConfigVariableDefinition FixedString(string name, string? moduleParameter) =>
        new(name, false, moduleParameter, 0, 0, null, null, null);

    /// <summary>An integer the runtime parameters hold, settable within <paramref name="minimum"/>..<paramref name="maximum"/> (Kamailio's cfg range).</summary>
    internal static TlsConfigVariableDefinition Integer(string name, string moduleParameter, int minimum, int maximum,
        Func<TlsRuntimeParameters, int> read, Action<TlsRuntimeParameters, int> write) =>
        new(name, true, moduleParameter, minimum, maximum,
            runtime => read(runtime).ToString(System.Globalization.CultureInfo.InvariantCulture), write, null);

    /// <summary>A string the runtime parameters hold.</summary>
    internal static TlsConfigVariableDefinition Text(string name, string moduleParameter,
        Func<TlsRuntimeParameters, string?> read, Action<TlsRuntimeParameters, string> write) =>
        new(name, false, moduleParameter, 0, 0, read, null, write);
}
