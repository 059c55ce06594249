namespace OpenSslTls.Errors;

/// <summary>
/// One problem (or note) found while reading TLS configuration, with its place: a file, line and column (both
/// 1-based) for text files, or a configuration key path (e.g. <c>Tls:verify_depth</c>) with line and column 0 for
/// values that came from <c>Microsoft.Extensions.Configuration</c> or from code.
/// </summary>
/// <param name="File">The file, configuration key or parameter the message is about; empty when there is no place.</param>
/// <param name="Line">1-based line, or 0 when the place has no lines.</param>
/// <param name="Column">1-based column (in characters, a tab counts as one), or 0 when the place has no lines.</param>
/// <param name="Message">What is wrong, naming the parameter and the value.</param>
public sealed record TlsConfigurationDiagnostic(string File, int Line, int Column, string Message)
{
    /// <summary>The compiler-style form <c>file:line:column: message</c> (or <c>place: message</c> without a line).</summary>
    public override string ToString() =>
        File.Length == 0 ? Message
        : Line <= 0 ? $"{File}: {Message}"
        : $"{File}:{Line}:{Column}: {Message}";
}
