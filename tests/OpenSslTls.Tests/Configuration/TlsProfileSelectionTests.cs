using System.Net;
using OpenSslTls.Configuration;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Configuration;

/// <summary>Profile selection (spec §4 with our documented deviations) as pure functions over definitions.</summary>
public sealed class TlsProfileSelectionTests
{
    private static IReadOnlyList<TlsProfileDefinition> Profiles(string text) => CfgTestSupport.Parse(text).Profiles;

    private static IPEndPoint At(string endPoint) => IPEndPoint.Parse(endPoint);

    private static string? Server(IReadOnlyList<TlsProfileDefinition> profiles, string local) =>
        LabelOf(profiles, TlsProfileSelector.SelectServer(profiles, At(local)));

    private static string? Sni(IReadOnlyList<TlsProfileDefinition> profiles, string local, string name)
    {
        int current = TlsProfileSelector.SelectServer(profiles, At(local));
        return LabelOf(profiles, TlsProfileSelector.SelectServerBySni(profiles, current, At(local), name));
    }

    private static string? Client(IReadOnlyList<TlsProfileDefinition> profiles, string remote, string? name = null, string? id = null) =>
        LabelOf(profiles, TlsProfileSelector.SelectClient(profiles, At(remote), name, id));

    private static string? LabelOf(IReadOnlyList<TlsProfileDefinition> profiles, int index) => index < 0 ? null : profiles[index].Source!["tls.cfg:".Length..];

    // Profiles are named by their header line in these tests ("3:1" = the section on line 3).
    private static readonly IReadOnlyList<TlsProfileDefinition> ServerSet = Profiles("""
        [server:default]
        [server:10.0.0.1:5061]
        [server:10.0.0.1:0]
        server_name = wild.example
        [server:10.0.0.2:5061]
        [server:[2001:db8::1]:5061]
        [server:any]
        server_name = any.example
        """);

    [Theory]
    [InlineData("10.0.0.1:5061", "3:1")]
    [InlineData("10.0.0.1:5070", "3:1")]
    [InlineData("10.0.0.2:5061", "5:1")]
    [InlineData("10.0.0.2:5070", "1:1")]
    [InlineData("10.0.0.3:5061", "1:1")]
    [InlineData("[2001:db8::1]:5061", "6:1")]
    [InlineData("[2001:db8::1%3]:5061", "6:1")]
    [InlineData("[2001:db8::2]:5061", "1:1")]
    [InlineData("[::ffff:10.0.0.2]:5061", "5:1")]
    public void Server_profiles_are_chosen_by_local_address_then_default(string local, string expected)
    {
        // 10.0.0.1:0 is declared after 10.0.0.1:5061, so it is tried first and wins for every port (Kamailio's order).
        Assert.Equal(expected, Server(ServerSet, local));
    }

    [Fact]
    public void An_exact_port_wins_when_it_is_declared_after_the_wildcard()
    {
        IReadOnlyList<TlsProfileDefinition> profiles = Profiles("[server:default]\n[server:10.0.0.1:0]\n[server:10.0.0.1:5061]");

        Assert.Equal("3:1", Server(profiles, "10.0.0.1:5061"));
        Assert.Equal("2:1", Server(profiles, "10.0.0.1:5062"));
    }

    [Fact]
    public void Address_selection_ignores_any_profiles_and_server_names()
    {
        IReadOnlyList<TlsProfileDefinition> profiles = Profiles("""
            [server:default]
            [server:10.0.0.1:5061]
            server_name = a.example
            [server:any]
            server_name = b.example
            """);

        Assert.Equal("2:1", Server(profiles, "10.0.0.1:5061"));
        Assert.Equal("1:1", Server(profiles, "10.0.0.9:5061"));
    }

    [Fact]
    public void Without_a_default_an_unmatched_address_selects_nothing()
    {
        Assert.Equal(-1, TlsProfileSelector.SelectServer(Profiles("[server:10.0.0.1:5061]"), At("10.0.0.2:5061")));
    }

    [Theory]
    [InlineData(0, "example.org", true)]
    [InlineData(0, "EXAMPLE.org", true)]
    [InlineData(0, "sip.example.org", false)]
    [InlineData(1, "example.org", true)]
    [InlineData(1, "sip.example.org", true)]
    [InlineData(1, "a.b.Example.Org", true)]
    [InlineData(1, "badexample.org", false)]
    [InlineData(1, ".example.org", false)]
    [InlineData(2, "example.org", false)]
    [InlineData(2, "sip.example.org", true)]
    [InlineData(2, "sipexample.org", false)]
    [InlineData(2, "example.org.evil", false)]
    public void Server_name_modes_match_exact_domain_and_subdomains(int mode, string name, bool matches)
    {
        var settings = new TlsProfileSettings { ServerName = "example.org", ServerNameMode = (ServerNameMode)mode };

        Assert.Equal(matches, TlsProfileSelector.NameMatches(settings, name));
    }

    [Fact]
    public void A_profile_without_server_name_matches_no_name()
    {
        Assert.False(TlsProfileSelector.NameMatches(new TlsProfileSettings(), "example.org"));
    }

    private static readonly IReadOnlyList<TlsProfileDefinition> SniSet = Profiles("""
        [server:default]
        server_name = default.example
        [server:10.0.0.1:5061]
        server_name = a.example
        [server:10.0.0.1:5061]
        server_name = b.example
        server_name_mode = 1
        [server:10.0.0.1:0]
        server_name = c.example
        [server:10.0.0.2:5061]
        server_name = a.example
        [server:any]
        server_name = a.example
        [server:any]
        server_name = any.example
        server_name_mode = 2
        [server:any]
        server_name = any.example
        server_name_mode = 1
        """);

    [Theory]
    [InlineData("10.0.0.1:5061", "a.example", "3:1")]
    [InlineData("10.0.0.1:5061", "A.EXAMPLE", "3:1")]
    [InlineData("10.0.0.1:5061", "sip.b.example", "5:1")]
    [InlineData("10.0.0.1:5061", "c.example", "8:1")]
    [InlineData("10.0.0.1:5070", "c.example", "8:1")]
    [InlineData("10.0.0.3:5061", "a.example", "12:1")]
    [InlineData("10.0.0.1:5061", "x.any.example", "17:1")]
    [InlineData("10.0.0.1:5061", "any.example", "17:1")]
    [InlineData("10.0.0.3:5061", "default.example", "1:1")]
    [InlineData("10.0.0.2:5061", "a.example", "10:1")]
    public void Sni_prefers_the_connections_address_then_any_then_the_default(string local, string name, string expected)
    {
        Assert.Equal(expected, Sni(SniSet, local, name));
    }

    [Fact]
    public void An_unmatched_sni_keeps_the_address_profile()
    {
        IReadOnlyList<TlsProfileDefinition> profiles = Profiles("[server:default]\n[server:10.0.0.1:5061]\n[server:any]\nserver_name = a.example");

        Assert.Equal("2:1", Server(profiles, "10.0.0.1:5061"));
        Assert.Null(Sni(profiles, "10.0.0.1:5061", "other.example"));
        Assert.Null(Sni(profiles, "10.0.0.9:5061", "other.example"));
    }

    [Fact]
    public void No_sni_keeps_the_address_profile()
    {
        Assert.Null(Sni(SniSet, "10.0.0.1:5061", string.Empty));
        Assert.Equal(-1, TlsProfileSelector.SelectServerBySni(SniSet, 0, At("10.0.0.1:5061"), null));
    }

    [Fact]
    public void An_unmatched_sni_moves_a_named_profile_to_the_unnamed_one_of_its_address()
    {
        IReadOnlyList<TlsProfileDefinition> profiles = Profiles("""
            [server:default]
            [server:10.0.0.1:0]
            [server:10.0.0.1:5061]
            server_name = a.example
            """);

        Assert.Equal("3:1", Server(profiles, "10.0.0.1:5061"));
        Assert.Equal("2:1", Sni(profiles, "10.0.0.1:5061", "other.example"));
        Assert.Equal("3:1", Sni(profiles, "10.0.0.1:5061", "a.example"));
    }

    [Fact]
    public void Profiles_of_other_addresses_are_never_switched_to()
    {
        IReadOnlyList<TlsProfileDefinition> profiles = Profiles("[server:default]\n[server:10.0.0.2:5061]\nserver_name = a.example");

        Assert.Null(Sni(profiles, "10.0.0.1:5061", "a.example"));
    }

    [Fact]
    public void Among_equal_names_the_later_declared_profile_wins()
    {
        IReadOnlyList<TlsProfileDefinition> profiles = Profiles("""
            [server:default]
            [server:any]
            server_name = a.example
            [server:any]
            server_name = a.example
            """);

        Assert.Equal("4:1", Sni(profiles, "10.0.0.1:5061", "a.example"));
    }

    [Fact]
    public void Client_profiles_are_not_candidates_for_server_selection()
    {
        IReadOnlyList<TlsProfileDefinition> profiles = Profiles("[server:default]\n[client:10.0.0.1:5061]\nserver_name = a.example\n[client:any]\nserver_name = a.example");

        Assert.Equal("1:1", Server(profiles, "10.0.0.1:5061"));
        Assert.Null(Sni(profiles, "10.0.0.1:5061", "a.example"));
    }

    private static readonly IReadOnlyList<TlsProfileDefinition> ClientSet = Profiles("""
        [client:default]
        [client:10.0.0.1:0]
        server_id = first
        [client:10.0.0.1:5061]
        server_name = a.example
        server_id = second
        [client:10.0.0.2:0]
        [client:any]
        server_name = any.example
        server_name_mode = 1
        server_id = Any-Id
        [server:any]
        server_name = srv.example
        server_id = server-only
        """);

    [Theory]
    [InlineData("10.0.0.9:5061", null, "first", "2:1")]
    [InlineData("10.0.0.1:5061", null, "first", "2:1")]
    [InlineData("10.0.0.1:5061", "a.example", "first", "2:1")]
    [InlineData("10.0.0.9:5061", null, "Any-Id", "8:1")]
    [InlineData("10.0.0.9:5061", null, "any-id", "8:1")]
    [InlineData("10.0.0.9:5061", null, "FIRST", "2:1")]
    [InlineData("10.0.0.9:5061", null, "server-only", "1:1")]
    [InlineData("10.0.0.1:5061", null, "unknown", "4:1")]
    public void Server_id_selects_first_ignoring_case(string remote, string? name, string id, string expected)
    {
        Assert.Equal(expected, Client(ClientSet, remote, name, id));
    }

    [Theory]
    [InlineData("10.0.0.1:5061", null, "4:1")]
    [InlineData("10.0.0.1:5061", "a.example", "4:1")]
    [InlineData("10.0.0.1:5061", "b.example", "2:1")]
    [InlineData("10.0.0.1:5062", null, "2:1")]
    [InlineData("10.0.0.1:5062", "a.example", "2:1")]
    [InlineData("10.0.0.2:5061", null, "7:1")]
    [InlineData("10.0.0.2:9999", "x.any.example", "8:1")]
    [InlineData("10.0.0.9:5061", "x.any.example", "8:1")]
    [InlineData("10.0.0.9:5061", "any.example", "8:1")]
    [InlineData("10.0.0.9:5061", "other.example", "1:1")]
    [InlineData("10.0.0.9:5061", null, "1:1")]
    [InlineData("[::ffff:10.0.0.2]:5061", null, "7:1")]
    public void Client_profiles_are_chosen_by_remote_address_and_server_name(string remote, string? name, string expected)
    {
        Assert.Equal(expected, Client(ClientSet, remote, name));
    }

    [Theory]
    [InlineData("3", "sip.example", "2:1")]
    [InlineData("3", "a.sip.example", null)]
    [InlineData("\"-1\"", "sip.example", "2:1")]
    [InlineData("\"-1\"", "a.sip.example", null)]
    [InlineData("99", "SIP.example", "2:1")]
    [InlineData("1", "a.sip.example", "2:1")]
    [InlineData("2", "sip.example", null)]
    public void Server_name_mode_values_other_than_1_and_2_match_exactly_as_mode_0(string mode, string sni, string? expected)
    {
        IReadOnlyList<TlsProfileDefinition> profiles = Profiles($"[server:default]\n[server:any]\nserver_name = sip.example\nserver_name_mode = {mode}");

        Assert.Equal(expected, Sni(profiles, "10.0.0.1:5061", sni));
    }
}
