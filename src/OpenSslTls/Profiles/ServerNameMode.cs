namespace OpenSslTls.Profiles;

/// <summary>Kamailio's <c>server_name_mode</c>: how a profile's <c>server_name</c> matches an SNI name.</summary>
public enum ServerNameMode
{
    /// <summary>0: only the exact name.</summary>
    Exact = 0,

    /// <summary>1: the name and all its subdomains.</summary>
    DomainAndSubdomains = 1,

    /// <summary>2: only subdomains of the name.</summary>
    SubdomainsOnly = 2,
}
