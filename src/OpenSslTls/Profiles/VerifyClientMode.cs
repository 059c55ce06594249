namespace OpenSslTls.Profiles;

/// <summary>Kamailio's <c>verify_client</c>: how a profile asks for and judges the peer's certificate.</summary>
public enum VerifyClientMode
{
    /// <summary><c>off</c>: decided by <c>verify_certificate</c>/<c>require_certificate</c> alone.</summary>
    Off,

    /// <summary><c>on</c>: the peer must present a certificate and it must verify.</summary>
    On,

    /// <summary><c>optional</c>: a certificate is requested; if one is sent it must verify.</summary>
    Optional,

    /// <summary><c>optional_no_ca</c>: a certificate is requested and never fails the handshake; the result is reported.</summary>
    OptionalNoCa,
}
