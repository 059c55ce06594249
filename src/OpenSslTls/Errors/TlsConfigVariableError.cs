namespace OpenSslTls.Errors;

/// <summary>Why a runtime configuration variable (Kamailio's <c>cfg.set</c>/<c>cfg.get</c>) could not be read or set.</summary>
public enum TlsConfigVariableError
{
    /// <summary>The group is not <c>tls</c>.</summary>
    UnknownGroup,

    /// <summary>The group has no variable of that name.</summary>
    UnknownVariable,

    /// <summary>The variable exists but cannot be changed while running.</summary>
    ReadOnly,

    /// <summary>The value is not of the variable's type (text given to an integer variable).</summary>
    WrongType,

    /// <summary>The integer is outside the variable's range.</summary>
    OutOfRange,
}
