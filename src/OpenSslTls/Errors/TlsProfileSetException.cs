namespace OpenSslTls.Errors;

/// <summary>
/// Building a <c>TlsProfileSet</c> failed: <see cref="Failures"/> holds one <see cref="TlsProfileException"/>
/// per profile that could not be built (each naming the profile, the parameter and the problem), and the message
/// lists them all; <see cref="Exception.InnerException"/> is the first of them. Nothing of the set was kept:
/// profiles that did build were disposed.
/// </summary>
public sealed class TlsProfileSetException : TlsException
{
    /// <summary>Creates the exception for <paramref name="failures"/> (at least one).</summary>
    public TlsProfileSetException(IReadOnlyList<TlsProfileException> failures)
        : this(failures, null)
    {
    }

    /// <summary>Creates the exception; <paramref name="sources"/> (parallel to the failures) adds where each profile was defined.</summary>
    internal TlsProfileSetException(IReadOnlyList<TlsProfileException> failures, IReadOnlyList<string?>? sources)
        : base(FormatMessage(failures, sources), failures.Count > 0 ? failures[0] : null)
    {
        Failures = failures;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public TlsProfileSetException(string message)
        : base(message)
    {
        Failures = [];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsProfileSetException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failures = [];
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsProfileSetException()
        : this("TLS profiles could not be built")
    {
    }

    /// <summary>Every profile that failed, in build order.</summary>
    public IReadOnlyList<TlsProfileException> Failures { get; }

    private static string FormatMessage(IReadOnlyList<TlsProfileException> failures, IReadOnlyList<string?>? sources)
    {
        ArgumentNullException.ThrowIfNull(failures);
        string count = failures.Count == 1 ? "1 profile" : $"{failures.Count} profiles";
        IEnumerable<string> lines = failures.Select((failure, i) =>
        {
            string? source = sources is not null && i < sources.Count ? sources[i] : null;
            string message = failure.Message.ReplaceLineEndings(Environment.NewLine + "    ");
            return source is null ? "  " + message : $"  {source}: {message}";
        });
        return $"TLS profiles could not be built ({count} failed; none was kept):" + Environment.NewLine + string.Join(Environment.NewLine, lines);
    }
}
