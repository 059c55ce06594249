using System.Net;
using OpenSslTls.Tests.Support;
using OpenSslTls.Configuration;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Tests.Configuration;

/// <summary>Reading tls.cfg from disk: the shared Kamailio fixtures, directory mode and path resolution of the file itself.</summary>
public sealed class TlsConfigFileTests
{
    private const string MainDirectory = "/usr/local/etc/kamailio";

    private static string Fixture(string name) => Prerequisites.SharedFixture(name);

    /// <summary>The docbook samples contain "..." lines meaning "more here"; they are not tls.cfg syntax.</summary>
    private static string WithoutEllipsisLines(string path) =>
        string.Join('\n', File.ReadAllLines(path).Where(line => line.Trim() != "..."));

    [SkippableFact]
    public void The_sample_shipped_with_kamailio_parses()
    {
        TlsConfigDocument document = TlsConfigReader.Read(Fixture("kamailio-tls.cfg"), MainDirectory);

        Assert.Collection(
            document.Profiles,
            server =>
            {
                Assert.Equal("server:default", server.Label);
                Assert.Equal(TlsMethod.TLSv1_2Plus, server.Settings.Method);
                Assert.False(server.Settings.VerifyCertificate);
                Assert.False(server.Settings.RequireCertificate);
                Assert.Equal("/usr/local/etc/kamailio/kamailio-selfsigned.pem", server.Settings.Certificate);
                Assert.Equal("/usr/local/etc/kamailio/kamailio-selfsigned.key", server.Settings.PrivateKey);
                Assert.Null(server.Settings.CaList);
            },
            client =>
            {
                Assert.Equal("client:default", client.Label);
                Assert.True(client.Settings.VerifyCertificate);
                Assert.True(client.Settings.RequireCertificate);
                Assert.Null(client.Settings.Certificate);
            });
    }

    [SkippableFact]
    public void The_ims_pcscf_sample_parses()
    {
        TlsProfileDefinition server = Assert.Single(TlsConfigReader.Read(Fixture("kamailio-ims-pcscf-tls.cfg.sample"), MainDirectory).Profiles);

        Assert.Equal(TlsMethod.SSLv23, server.Settings.Method);
        Assert.Equal("/etc/kamailio/kamailio-selfsigned.key", server.Settings.PrivateKey);
        Assert.Equal("/etc/kamailio/kamailio-selfsigned.pem", server.Settings.Certificate);
    }

    [SkippableFact]
    public void The_documentation_sample_reports_its_ellipsis_lines_as_syntax_errors()
    {
        string path = Fixture("kamailio-tls-doc-sample.cfg.txt");
        int[] ellipsisLines = [.. File.ReadAllLines(path).Select((line, index) => (line, index)).Where(e => e.line.Trim() == "...").Select(e => e.index + 1)];

        var error = Assert.Throws<TlsConfigurationException>(() => TlsConfigReader.Read(path, MainDirectory));

        Assert.Equal(ellipsisLines, error.Errors.Select(e => e.Line));
        Assert.All(error.Errors, e => Assert.Equal("Syntax error: a section header or an option expected, found '.'", e.Message));
        Assert.All(error.Errors, e => Assert.Equal(path, e.File));
    }

    [SkippableFact]
    public void The_documentation_sample_parses_without_its_ellipsis_lines()
    {
        TlsConfigDocument document = TlsConfigReader.Parse(WithoutEllipsisLines(Fixture("kamailio-tls-doc-sample.cfg.txt")), "sample.cfg", MainDirectory);

        Assert.Equal(
            ["server:default", "client:default", "server:127.0.0.1:5061/kamailio.org", "client:127.0.0.1:5061/kamailio.org", "server:any/kamailio.net"],
            document.Profiles.Select(p => p.Label));
        TlsProfileSettings loopback = document.Profiles[2].Settings;
        Assert.Equal(TlsMethod.TLSv1, loopback.Method);
        Assert.Equal(3, loopback.VerifyDepth);
        Assert.Equal("/usr/local/etc/kamailio/local_kamailio_org_key.pem", loopback.PrivateKey);
        Assert.Equal("/usr/local/etc/kamailio/local_ca.pem", loopback.CaList);
        Assert.Equal("kamailio.org", document.Profiles[3].Settings.ServerId);
        Assert.Equal(ServerNameMode.DomainAndSubdomains, document.Profiles[4].Settings.ServerNameMode);
        Assert.Equal("/usr/local/etc/kamailio/default_crl.pem", document.Profiles[0].Settings.Crl);
    }

    [SkippableFact]
    public void The_verify_client_sample_parses_without_its_ellipsis_lines()
    {
        TlsConfigDocument document = TlsConfigReader.Parse(WithoutEllipsisLines(Fixture("kamailio-tls-doc-verify_client.cfg.txt")), "verify.cfg", MainDirectory);

        Assert.Collection(
            document.Profiles,
            first =>
            {
                Assert.Equal(IPAddress.Parse("1.2.3.4"), first.Address);
                Assert.Equal(VerifyClientMode.On, first.Settings.VerifyClient);
                Assert.Equal(TlsMethod.TLSv1, first.Settings.Method);
            },
            second =>
            {
                Assert.Equal(5061, second.Port);
                Assert.Equal(VerifyClientMode.OptionalNoCa, second.Settings.VerifyClient);
                Assert.Equal(TlsMethod.TLSv1_2, second.Settings.Method);
            });
    }

    [SkippableFact]
    public void Every_shared_fixture_parses_once_ellipsis_lines_are_removed()
    {
        string directory = Prerequisites.SharedFixtures();
        string[] fixtures = [.. Directory.EnumerateFiles(directory).Where(f => !f.EndsWith(".md", StringComparison.Ordinal))];
        Assert.NotEmpty(fixtures);

        foreach (string fixture in fixtures)
        {
            TlsConfigDocument document = TlsConfigReader.Parse(WithoutEllipsisLines(fixture), fixture, MainDirectory);
            Assert.NotEmpty(document.Profiles);
        }
    }

    [Fact]
    public void A_directory_is_read_file_by_file_in_ordinal_name_order()
    {
        using var directory = new TempDirectory();
        directory.Write("b.cfg", "[server:10.0.0.2:5061]\n");
        directory.Write("a.cfg", "[server:10.0.0.1:5061]\n");
        directory.Write("B.cfg", "[client:default]\n");
        directory.Write(".hidden.cfg", "[server:default]\n");
        directory.Write("sub/ignored.cfg", "this is never read");

        TlsConfigDocument document = TlsConfigReader.Read(directory.Path);

        Assert.Equal([".hidden.cfg", "B.cfg", "a.cfg", "b.cfg"], document.Files.Select(Path.GetFileName));
        Assert.Equal(["server:default", "client:default", "server:10.0.0.1:5061", "server:10.0.0.2:5061"], document.Profiles.Select(p => p.Label));
        Assert.Equal(Path.Combine(directory.Path, "a.cfg") + ":1:1", document.Profiles[2].Source);
    }

    [Fact]
    public void Directory_mode_reports_errors_in_the_file_and_line_they_are_in()
    {
        using var directory = new TempDirectory();
        string first = directory.Write("10-first.cfg", "[server:default]\nverify_depth = 1\n\nbogus = 1\n");
        string second = directory.Write("20-second.cfg", "# more\n[client:default]\nverify_depth = 500\n");

        var error = Assert.Throws<TlsConfigurationException>(() => TlsConfigReader.Read(directory.Path));

        Assert.Equal(
            [
                new TlsConfigurationDiagnostic(first, 4, 1, "Unsupported option 'bogus'"),
                new TlsConfigurationDiagnostic(second, 3, 16, "verify_depth must be 0..100, not 500"),
            ],
            error.Errors);
    }

    [Fact]
    public void A_section_does_not_continue_into_the_next_file()
    {
        using var directory = new TempDirectory();
        directory.Write("1.cfg", "[server:default]\nverify_depth = 1\n");
        string second = directory.Write("2.cfg", "verify_depth = 2\n[client:default]\n");

        var error = Assert.Throws<TlsConfigurationException>(() => TlsConfigReader.Read(directory.Path));

        TlsConfigurationDiagnostic only = Assert.Single(error.Errors);
        Assert.Equal((second, 1, 1), (only.File, only.Line, only.Column));
        Assert.StartsWith("Unsupported option 'verify_depth' before the first section header", only.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_rules_apply_across_the_files_of_a_directory()
    {
        using var directory = new TempDirectory();
        string first = directory.Write("a.cfg", "[server:default]\n");
        string second = directory.Write("b.cfg", "\n[server:default]\n");

        var error = Assert.Throws<TlsConfigurationException>(() => TlsConfigReader.Read(directory.Path));

        Assert.Equal(
            new TlsConfigurationDiagnostic(second, 2, 1, $"duplicate [server:default] section (first defined at {first}:1:1): there can be only one"),
            Assert.Single(error.Errors));
    }

    [Fact]
    public void An_empty_directory_has_no_profiles()
    {
        using var directory = new TempDirectory();

        TlsConfigDocument document = TlsConfigReader.Read(directory.Path);

        Assert.Empty(document.Profiles);
        Assert.Empty(document.Files);
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_it()
    {
        using var directory = new TempDirectory();
        string missing = Path.Combine(directory.Path, "missing.cfg");

        var error = Assert.Throws<TlsConfigurationException>(() => TlsConfigReader.Read(missing));

        TlsConfigurationDiagnostic only = Assert.Single(error.Errors);
        Assert.Equal((missing, 0, 0), (only.File, only.Line, only.Column));
        Assert.StartsWith("cannot read the TLS configuration file:", only.Message, StringComparison.Ordinal);
        Assert.StartsWith(missing + ": cannot read", only.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_config_path_itself_resolves_against_the_main_directory_and_anchors_the_names_inside()
    {
        using var directory = new TempDirectory();
        directory.Write("tls/tls.cfg", "[server:default]\nca_list = ca.pem\n");

        TlsConfigDocument document = TlsConfigReader.Read("tls/tls.cfg", directory.Path);

        Assert.Equal([Path.Combine(directory.Path, "tls", "tls.cfg")], document.Files);

        // Relative names inside resolve against the main configuration directory, not tls.cfg's own (as Kamailio).
        Assert.Equal(Path.Combine(directory.Path, "ca.pem"), document.Profiles[0].Settings.CaList);
        Assert.Equal(Path.Combine(directory.Path, "cert.pem"), document.Profiles[0].Settings.Certificate);
    }

    [Fact]
    public void A_dot_config_path_is_relative_to_the_working_directory()
    {
        using var directory = new TempDirectory();
        string file = directory.Write("tls.cfg", "[client:default]\n");
        string relative = "./" + Path.GetRelativePath(Environment.CurrentDirectory, file);

        TlsConfigDocument document = TlsConfigReader.Read(relative, "/nonexistent/main");

        Assert.Equal([file], document.Files);
    }
}
