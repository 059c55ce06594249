namespace OpenSslTls.SipEndpoint.Client;

/// <summary>A client-side failure worth one line to the user: TLS handshake or record failure, an unframable reply.</summary>
internal sealed class SipClientException : Exception
{
    public SipClientException()
    {
    }

    public SipClientException(string message)
        : base(message)
    {
    }

    public SipClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
