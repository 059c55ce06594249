using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// A resumed handshake checks no certificate, so a session belongs to the server name it was made with: offered for
/// another name it would make that name's server trusted without its certificate ever being checked.
/// </summary>
public sealed class SessionServerNameTests : NativeLeakCheck
{
    [Theory]
    [InlineData(TlsMethod.TLSv1_3)]
    [InlineData(TlsMethod.TLSv1_2)]
    public void A_session_is_refused_for_another_server_name(TlsMethod method)
    {
        using TlsProfile server = Server(method);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));
        using TlsSession session = Resumption.FirstSession(server, client);
        Assert.Equal("localhost", session.ServerName);
        Assert.Equal("localhost", session.CheckedName);

        ArgumentException refused = Assert.Throws<ArgumentException>(() => client.CreateConnection("sip.example.net", session));
        Assert.Equal("resumeSession", refused.ParamName);
        Assert.Contains("'localhost'", refused.Message);
        Assert.Contains("'sip.example.net'", refused.Message);
    }

    [Fact]
    public void A_session_resumes_for_its_own_name_and_is_offered_for_it_in_any_case()
    {
        using TlsProfile server = Server(TlsMethod.TLSv1_2);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2));
        using TlsSession session = Resumption.FirstSession(server, client);

        Assert.True(Resumption.Resumes(server, client, session));

        // DNS names are case-blind, so the library offers it; OpenSSL's server compares SNI exactly and answers with a
        // full handshake, which must still complete.
        using var pair = new TlsPair(server, client, "LocalHost", resume: session);
        Resumption.Exchange(pair);
    }

    [Fact]
    public void A_session_made_without_a_name_check_is_refused_where_names_are_checked()
    {
        using TlsProfile server = Server(TlsMethod.TLSv1_2);
        using TlsProfile withoutNameCheck = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2) with { VerifyHostname = false });
        using TlsProfile checking = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2));
        using TlsSession session = Resumption.FirstSession(server, withoutNameCheck);
        Assert.Null(session.CheckedName);

        Assert.Throws<ArgumentException>(() => checking.CreateConnection("localhost", session));
    }

    /// <summary>A server that resumes (session_cache on: tickets and, for TLS 1.2, session ids).</summary>
    private static TlsProfile Server(TlsMethod method) =>
        TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method), new TlsTuning { SessionCache = true });
}
