namespace OpenSslTls.Profiles;

/// <summary>What a profile's section header names after the role: <c>[server:default]</c>, <c>[server:any]</c> or <c>[server:ip:port]</c>.</summary>
public enum TlsProfileScope
{
    /// <summary><c>default</c> (or <c>def</c>): used when no other profile matches. One per role.</summary>
    Default,

    /// <summary><c>any</c> (or <c>all</c>): any address; matched only through its <c>server_name</c>, which it must have.</summary>
    Any,

    /// <summary><c>ip:port</c>: one local (server) or remote (client) address; port 0 matches every port.</summary>
    Address,
}
