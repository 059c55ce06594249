namespace OpenSslTls.Errors;

/// <summary>
/// TLS configuration could not be read: every problem found is in <see cref="Errors"/> (readers collect all of a
/// file's errors rather than stopping at the first), and the message lists them one per line in
/// <c>file:line:column: message</c> form.
/// </summary>
public sealed class TlsConfigurationException : TlsException
{
    /// <summary>Creates the exception for <paramref name="errors"/> (at least one).</summary>
    public TlsConfigurationException(IReadOnlyList<TlsConfigurationDiagnostic> errors)
        : base(FormatMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a message and no located errors.</summary>
    public TlsConfigurationException(string message)
        : base(message)
    {
        Errors = [new TlsConfigurationDiagnostic(string.Empty, 0, 0, message)];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new TlsConfigurationDiagnostic(string.Empty, 0, 0, message)];
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsConfigurationException()
        : this("TLS configuration is invalid")
    {
    }

    /// <summary>Every problem found, in the order of the files and lines they were found at.</summary>
    public IReadOnlyList<TlsConfigurationDiagnostic> Errors { get; }

    private static string FormatMessage(IReadOnlyList<TlsConfigurationDiagnostic> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count switch
        {
            0 => "TLS configuration is invalid",
            1 => "TLS configuration is invalid: " + errors[0],
            _ => $"TLS configuration is invalid ({errors.Count} errors):" + Environment.NewLine +
                 string.Join(Environment.NewLine, errors.Select(error => "  " + error)),
        };
    }
}
