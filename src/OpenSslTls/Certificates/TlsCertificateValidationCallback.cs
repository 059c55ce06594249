namespace OpenSslTls.Certificates;

/// <summary>
/// Decides whether a client connection accepts the server's certificate, like .NET's
/// <c>RemoteCertificateValidationCallback</c>: <paramref name="validation"/> holds the certificate and OpenSSL's
/// verdict; true accepts, false refuses. It runs on the thread driving the handshake, inside OpenSSL's verification;
/// an exception refuses the certificate and fails the handshake with a <c>TlsCallbackException</c> that wraps it.
/// </summary>
public delegate bool TlsCertificateValidationCallback(TlsCertificateValidation validation);
