namespace OpenSslTls.Errors;

/// <summary>A new connection was refused because available memory is below <c>low_mem_threshold1</c>.</summary>
public sealed class TlsLowMemoryException : TlsException
{
    /// <summary>Creates the exception with the threshold and the available memory, in kilobytes.</summary>
    public TlsLowMemoryException(long thresholdKilobytes, long availableKilobytes)
        : base($"new TLS connection refused: available memory {availableKilobytes} KB is below low_mem_threshold1 ({thresholdKilobytes} KB)")
    {
        ThresholdKilobytes = thresholdKilobytes;
        AvailableKilobytes = availableKilobytes;
    }

    /// <summary>Creates the exception with a message.</summary>
    public TlsLowMemoryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TlsLowMemoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with no details.</summary>
    public TlsLowMemoryException()
        : this("new TLS connection refused: available memory is low")
    {
    }

    /// <summary>The threshold in force, in kilobytes.</summary>
    public long ThresholdKilobytes { get; }

    /// <summary>The available memory the probe reported, in kilobytes.</summary>
    public long AvailableKilobytes { get; }
}
