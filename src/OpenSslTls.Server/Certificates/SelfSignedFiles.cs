namespace OpenSslTls.SipEndpoint.Certificates;

/// <summary>The self-signed certificate and key <c>serve</c> uses when none is configured; <see cref="Created"/> when made just now.</summary>
internal sealed record SelfSignedFiles(string Certificate, string PrivateKey, bool Created);
