using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.AspNetCore;

/// <summary>
/// The OpenSslTls side of a Kestrel connection that <c>UseOpenSslTls</c> terminated: everything OpenSSL says about the
/// session (<see cref="TlsConnectionInfo"/>: protocol, cipher, group, SNI, resumption, verification result, both
/// certificates), beyond what ASP.NET Core's <c>ITlsHandshakeFeature</c> carries. Read it from
/// <c>HttpContext.Features</c> or <c>ConnectionContext.Features</c>.
/// </summary>
public interface IOpenSslTlsFeature
{
    /// <summary>The established session's facts.</summary>
    TlsConnectionInfo Info { get; }

    /// <summary>The module's id of the connection (<c>tls.list</c>'s id, what <c>tls.kill</c> takes).</summary>
    long ConnectionId { get; }

    /// <summary>The profile serving the connection (after any SNI switch).</summary>
    TlsProfile Profile { get; }
}
