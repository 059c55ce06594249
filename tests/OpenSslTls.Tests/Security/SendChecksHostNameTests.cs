using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Security;

/// <summary>
/// <c>openssltls send --verify</c> checks the server's name: the reproduction of issue 15 (a CA-signed certificate for
/// CN=attacker.test accepted for <c>--server-name sip.victim.test</c> with <c>verified=yes</c>) now fails naming both.
/// </summary>
public sealed class SendChecksHostNameTests : NativeLeakCheck
{
    private static async Task<(int Exit, string Output, string Errors)> SendAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int exit = await SendCommand.RunAsync(args, output, errors, limit.Token);
        return (exit, output.ToString(), errors.ToString());
    }

    private static TlsProfileSettings Presenting(string name) => new()
    {
        Certificate = HostNamePki.Instance.Certificate(name),
        PrivateKey = HostNamePki.Instance.Key(name),
    };

    [Fact]
    public async Task Send_verify_refuses_a_certificate_of_the_CA_for_another_name()
    {
        string ca = TestPki.Instance.RootCaCertificate;
        await using SipEndpoint.ServerTestHost host = SipEndpoint.ServerTestHost.Start(settings: Presenting("attacker"));
        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{host.Port}", "--server-name", HostNamePki.Victim, "--verify", "--ca-list", ca);

        Assert.Equal(ExitCodes.Failure, exit);
        Assert.DoesNotContain("verified=yes", output, StringComparison.Ordinal);
        string all = output + errors;
        Assert.Contains($"expected '{HostNamePki.Victim}'", all, StringComparison.Ordinal);
        Assert.Contains("DNS:attacker.test", all, StringComparison.Ordinal);

        // Its own name passes, and so does the address when the certificate carries no address: the HOST is the name.
        (exit, output, errors) = await SendAsync($"127.0.0.1:{host.Port}", "--server-name", "attacker.test", "--verify", "--ca-list", ca);
        Assert.True(exit == ExitCodes.Success, output + errors);
        Assert.Contains("verified=yes", output, StringComparison.Ordinal);

        (exit, output, errors) = await SendAsync($"127.0.0.1:{host.Port}", "--verify", "--ca-list", ca);
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("expected '127.0.0.1'", output + errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_without_verify_checks_no_name()
    {
        await using SipEndpoint.ServerTestHost host = SipEndpoint.ServerTestHost.Start(settings: Presenting("attacker"));
        (int exit, string output, string errors) = await SendAsync($"127.0.0.1:{host.Port}", "--server-name", HostNamePki.Victim);
        Assert.True(exit == ExitCodes.Success, output + errors);
    }
}
