using System.Net;
using System.Text.RegularExpressions;
using OpenSslTls.Configuration;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Runtime;

/// <summary>
/// TlsClientOverride, what Kamailio's xavp_cfg attributes set per outgoing connection, against a real
/// <c>openssl s_server</c>: the server_id picks the client profile (the server sees that profile's certificate), and
/// server_name is the exact SNI the server receives (and answers with its SNI certificate).
/// </summary>
public sealed class ClientOverrideTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static TestPki Pki => TestPki.Instance;

    private static OpenSslProcess StartServer() => OpenSslProcess.StartServer(
        "-cert", Pki.ServerEcCertificate, "-key", Pki.ServerEcKey,
        "-servername", TestPki.SniServerName, "-cert2", Pki.SniServerCertificate, "-key2", Pki.SniServerKey,
        "-verify", "1", "-CAfile", Pki.AllRootsBundle);

    // [client:default] presents the untrusted CA's alice; the server_id and the any/server_name profiles the root CA's.
    private static TlsModule Module(TempConfig config) => TlsModule.Create(
        new TlsModuleOptions { Config = config.Write($"""
            [server:default]
            certificate = {Pki.ServerEcCertificate}
            private_key = {Pki.ServerEcKey}

            [client:default]
            method = TLSv1.2+
            certificate = {Pki.UntrustedClientCertificate}
            private_key = {Pki.UntrustedClientKey}

            [client:127.0.0.2:5061]
            method = TLSv1.2+
            server_id = alice-id
            certificate = {Pki.ClientCertificate}
            private_key = {Pki.ClientKey}

            [client:any]
            method = TLSv1.2+
            server_name = {TestPki.SniServerName}
            certificate = {Pki.ClientCertificate}
            private_key = {Pki.ClientKey}
            """) },
        new TlsModuleHostOptions { ClientOnly = true });

    private static SocketTlsPeer Connect(TlsModule module, OpenSslProcess server, TlsClientOverride overrides)
    {
        var remote = new IPEndPoint(IPAddress.Loopback, server.Port);
        return new SocketTlsPeer(LoopbackTcp.Connect(server.Port, Timeout), module.OpenConnection(remote, overrides));
    }

    [Fact]
    public void The_server_id_picks_the_profile_and_the_server_name_is_the_exact_SNI_received()
    {
        using var config = new TempConfig();
        using TlsModule module = Module(config);
        using OpenSslProcess server = StartServer();
        using SocketTlsPeer peer = Connect(module, server, new TlsClientOverride { ServerId = "alice-id", ServerName = TestPki.SniServerName });

        Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message);
        Assert.Equal("client:127.0.0.2:5061", peer.Connection.Profile.Label);
        Assert.True(server.WaitUntil(output => Regex.IsMatch(output, "issuer=" + OpenSslOutput.NamePattern("CN", TestPki.RootCaName)), Timeout), server.Output);
        Assert.Contains($"{OpenSslOutput.ServerSniReceived}\"{TestPki.SniServerName}\"", server.Output, StringComparison.Ordinal);
        Assert.Equal(TestPki.SniServerName, peer.Connection.Info!.PeerCertificate!.Subject.CommonName);
    }

    [Fact]
    public void The_server_name_alone_picks_the_any_profile_of_that_name()
    {
        using var config = new TempConfig();
        using TlsModule module = Module(config);
        using OpenSslProcess server = StartServer();
        using SocketTlsPeer peer = Connect(module, server, new TlsClientOverride { ServerName = TestPki.SniServerName });

        Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message);
        Assert.Equal($"client:any/{TestPki.SniServerName}", peer.Connection.Profile.Label);
        Assert.True(server.WaitUntil(output => Regex.IsMatch(output, "issuer=" + OpenSslOutput.NamePattern("CN", TestPki.RootCaName)), Timeout), server.Output);
        Assert.Contains($"{OpenSslOutput.ServerSniReceived}\"{TestPki.SniServerName}\"", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_override_the_default_profile_answers_and_no_SNI_is_sent()
    {
        using var config = new TempConfig();
        using TlsModule module = Module(config);
        using OpenSslProcess server = StartServer();
        using SocketTlsPeer peer = Connect(module, server, TlsClientOverride.None);

        Assert.True(peer.WaitForHandshake(Timeout), peer.Connection.Failure?.Message);
        Assert.Equal("client:default", peer.Connection.Profile.Label);
        Assert.True(server.WaitUntil(output => Regex.IsMatch(output, "issuer=" + OpenSslOutput.NamePattern("CN", TestPki.UntrustedRootCaName)), Timeout), server.Output);
        Assert.DoesNotContain(OpenSslOutput.ServerSniReceived, server.Output, StringComparison.Ordinal);
        Assert.Equal(TestPki.ServerName, peer.Connection.Info!.PeerCertificate!.Subject.CommonName);
    }

    [Theory]
    [InlineData("127.0.0.1", "an IP address is not a valid SNI host name")]
    [InlineData("[::1]", "an IP address is not a valid SNI host name")]
    [InlineData("sip example.test", "' ' is not allowed in a host name")]
    [InlineData("sip..example.test", "every dot-separated label needs 1 to 63 characters")]
    [InlineData("-sip.example.test", "label '-sip' starts or ends with '-'")]
    [InlineData("sip.example.test.", "SNI carries the name without its trailing dot")]
    [InlineData("sïp.example.test", "only ASCII is allowed")]
    public void A_server_name_that_cannot_be_sent_as_SNI_is_refused_naming_it(string name, string problem)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new TlsClientOverride { ServerName = name });
        Assert.StartsWith($"server_name '{name}': {problem}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_of_the_server_name_and_server_id()
    {
        string longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 4)); // 255 characters
        Assert.Equal(255, longest.Length);
        Assert.Equal(longest, new TlsClientOverride { ServerName = longest }.ServerName);
        Assert.Throws<ArgumentException>(() => new TlsClientOverride { ServerName = longest + "a" });
        Assert.Throws<ArgumentException>(() => new TlsClientOverride { ServerName = new string('a', 64) + ".test" });
        Assert.Null(new TlsClientOverride { ServerName = "", ServerId = "" }.ServerName);
        Assert.Equal("any text: ok", new TlsClientOverride { ServerId = "any text: ok" }.ServerId);
        ArgumentException error = Assert.Throws<ArgumentException>(() => new TlsClientOverride { ServerId = "a\nb" });
        Assert.StartsWith("server_id 'a b': control characters are not allowed", error.Message, StringComparison.Ordinal);
    }

    private sealed class TempConfig : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("openssltls-override-").FullName;

        public string Write(string text)
        {
            string path = Path.Combine(_directory, "tls.cfg");
            File.WriteAllText(path, text);
            return path;
        }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
