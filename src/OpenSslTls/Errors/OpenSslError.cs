namespace OpenSslTls.Errors;

/// <summary>One entry of OpenSSL's per-thread error queue, as it was when the failing operation returned.</summary>
/// <param name="Code">The packed OpenSSL error code (<c>ERR_get_error_all</c>).</param>
/// <param name="Library">The library that raised it (for example <c>SSL routines</c> or <c>system library</c>).</param>
/// <param name="Reason">The reason text (for example <c>no such file</c> or <c>wrong version number</c>).</param>
/// <param name="ReasonCode">The numeric reason (an <c>SSL_R_*</c>/<c>X509_R_*</c> code, or <c>errno</c> for system errors).</param>
/// <param name="Function">The OpenSSL function that queued the error, when OpenSSL recorded one.</param>
/// <param name="File">The OpenSSL source file that queued the error.</param>
/// <param name="Line">The line in <paramref name="File"/>.</param>
/// <param name="Data">Extra text OpenSSL attached (often a path or a name), or <see langword="null"/>.</param>
public sealed record OpenSslError(
    ulong Code,
    string Library,
    string Reason,
    int ReasonCode,
    string? Function,
    string? File,
    int Line,
    string? Data)
{
    /// <summary>Whether this entry wraps an operating-system error (<c>errno</c> in <see cref="ReasonCode"/>).</summary>
    public bool IsSystemError { get; init; }

    /// <summary>A one-line rendering: <c>library: reason (data) [function, file:line]</c>.</summary>
    public override string ToString()
    {
        var text = $"{Library}: {Reason}";
        if (!string.IsNullOrEmpty(Data))
        {
            text += $" ({Data})";
        }

        if (File is not null)
        {
            text += Function is null ? $" [{File}:{Line}]" : $" [{Function}, {File}:{Line}]";
        }

        return text;
    }
}
