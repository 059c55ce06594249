namespace OpenSslTls.Certificates;

/// <summary>
/// Decides whether a connection accepts its peer's certificate, like .NET's <c>RemoteCertificateValidationCallback</c>:
/// <paramref name="validation"/> holds the certificate and OpenSSL's verdict; true accepts, false refuses. A client
/// runs it on the server's certificate, always (verification is turned on for it); a server runs it on the client's
/// certificate when its profile asks for one (<c>verify_client</c>, <c>require_certificate</c>) and the client sent
/// one. It runs on the thread driving the handshake, inside OpenSSL's verification. A refusal fails the handshake with
/// OpenSSL's alert for the chain's error, or <c>bad_certificate</c> when the chain verified; an exception refuses with
/// <c>internal_error</c> and fails the handshake with a <c>TlsCallbackException</c> that wraps it.
/// </summary>
public delegate bool TlsCertificateValidationCallback(TlsCertificateValidation validation);
