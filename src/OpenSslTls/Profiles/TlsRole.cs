namespace OpenSslTls.Profiles;

/// <summary>Which side of the handshake a profile or connection plays.</summary>
public enum TlsRole
{
    /// <summary>Accepts connections (Kamailio <c>[server:…]</c>).</summary>
    Server,

    /// <summary>Opens connections (Kamailio <c>[client:…]</c>).</summary>
    Client,
}
