using OpenSslTls.Module;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// Issue 15, item 1: a session (TLS 1.2 session id or ticket, TLS 1.3 ticket) made on a profile that asks for no client
/// certificate is never resumed on an SNI profile that requires one. With session_cache on, <c>s_client -sess_out</c>
/// on <c>open.test</c> then <c>-sess_in</c> on <c>secure.test</c> used to be "Reused" and served with no peer
/// certificate: every profile shared one session id context, and after the SNI switch the first profile's cache and
/// ticket keys. Each profile now has its own session id context, so the resumption is refused and the full handshake
/// asks for the certificate.
/// </summary>
public sealed class ResumptionAcrossProfilesTests : NativeLeakCheck
{
    private const string Open = "open.test";
    private const string Secure = "secure.test";

    private static TestPki Pki => TestPki.Instance;

    private static void WriteConfig(TlsConfigFile config, string secureKeys) => File.WriteAllText(config.Path, $"""
        [server:default]
        certificate = {Pki.ServerEcCertificate}
        private_key = {Pki.ServerEcKey}

        [server:any]
        server_name = {Secure}
        certificate = {Pki.SniServerCertificate}
        private_key = {Pki.SniServerKey}
        {secureKeys}

        [client:default]
        """);

    private static string Strict => $"verify_certificate = yes\nrequire_certificate = yes\nca_list = {Pki.RootCaCertificate}";

    public static TheoryData<string[]> Resumptions => new()
    {
        { ["-tls1_2", "-no_ticket"] },
        { ["-tls1_2"] },
        { ["-tls1_3"] },
    };

    [Theory]
    [MemberData(nameof(Resumptions))]
    public void A_session_from_an_open_profile_is_not_resumed_on_a_profile_that_requires_client_certificates(string[] version)
    {
        using var config = new TlsConfigFile();
        WriteConfig(config, Strict);
        using TlsModule module = TlsModule.Create(config.Options(options => options.SessionCache = true));
        using var session = new SessionFile();

        Established first = Serve(module, [.. version, "-servername", Open, "-sess_out", session.Path]);
        Assert.True(first.Handshake, first.Detail);
        Assert.Equal("server:default", first.Profile);

        // Resumption itself works: the same name resumes on the same profile.
        Established again = Serve(module, [.. version, "-servername", Open, "-sess_in", session.Path]);
        Assert.True(again.Handshake && again.Reused, again.Detail);

        Established crossed = Serve(module, [.. version, "-servername", Secure, "-sess_in", session.Path]);
        Assert.False(crossed.Reused, crossed.Detail);
        Assert.False(crossed.Handshake && crossed.PeerCertificate is null, $"served on {crossed.Profile} without a client certificate: {crossed.Detail}");
    }

    [Theory]
    [MemberData(nameof(Resumptions))]
    public void A_session_from_a_strict_SNI_profile_is_not_resumed_on_the_open_default_either(string[] version)
    {
        // The other way round leaks nothing by itself, but resumption must never cross profiles whose verification differs.
        using var config = new TlsConfigFile();
        WriteConfig(config, Strict);
        using TlsModule module = TlsModule.Create(config.Options(options => options.SessionCache = true));
        using var session = new SessionFile();

        Established first = Serve(module, [.. version, "-servername", Secure, "-cert", Pki.ClientCertificate, "-key", Pki.ClientKey, "-sess_out", session.Path]);
        Assert.True(first.Handshake && first.PeerCertificate is not null, first.Detail);

        Established again = Serve(module, [.. version, "-servername", Secure, "-sess_in", session.Path]);
        Assert.True(again.Handshake && again.Reused, again.Detail);

        Established crossed = Serve(module, [.. version, "-servername", Open, "-sess_in", session.Path]);
        Assert.True(crossed.Handshake, crossed.Detail);
        Assert.False(crossed.Reused, crossed.Detail);
    }

    [Theory]
    [MemberData(nameof(Resumptions))]
    public void Two_SNI_profiles_with_the_same_verification_still_do_not_share_sessions(string[] version)
    {
        // Distinct identities (certificates, names) get distinct session id contexts even when verification is equal.
        using var config = new TlsConfigFile();
        WriteConfig(config, "verify_client = off");
        using TlsModule module = TlsModule.Create(config.Options(options => options.SessionCache = true));
        using var session = new SessionFile();

        Assert.True(Serve(module, [.. version, "-servername", Open, "-sess_out", session.Path]).Handshake);
        Established crossed = Serve(module, [.. version, "-servername", Secure, "-sess_in", session.Path]);
        Assert.True(crossed.Handshake, crossed.Detail);
        Assert.False(crossed.Reused, crossed.Detail);
    }

    private sealed record Established(bool Handshake, bool Reused, string Profile, object? PeerCertificate, string Detail);

    /// <summary>One s_client run served by the module; exchanges a line each way so TLS 1.3 tickets reach the client before it quits.</summary>
    private static Established Serve(TlsModule module, string[] clientArgs)
    {
        (SocketTlsPeer peer, OpenSslProcess client) = SecurityTestSupport.ServeOne(module, clientArgs);
        using (client)
        using (peer)
        {
            bool handshake = peer.WaitForHandshake(OpenSslInterop.Timeout);
            if (handshake)
            {
                client.WriteLine("ping");
                handshake = peer.WaitForText("ping\n", OpenSslInterop.Timeout);
            }

            if (handshake)
            {
                peer.Send("pong\n");
                handshake = client.WaitForOutput("pong", OpenSslInterop.Timeout);
                client.CloseInput();
                client.WaitForExit(OpenSslInterop.Timeout);
            }

            bool reused = client.Output.Contains("Reused, TLS", StringComparison.Ordinal) || peer.Connection.Info?.SessionReused == true;
            return new Established(handshake, reused, peer.Connection.Profile.Label, peer.Connection.Info?.PeerCertificate,
                $"{peer.Connection.Profile.Label}: {peer.Connection.Failure?.Message} {client.Output}");
        }
    }

    private sealed class SessionFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"openssltls-session-{Guid.NewGuid():N}.pem");

        public void Dispose() => File.Delete(Path);
    }
}
