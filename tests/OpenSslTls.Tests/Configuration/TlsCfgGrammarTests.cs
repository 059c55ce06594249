using System.Net;
using static OpenSslTls.Tests.Configuration.CfgTestSupport;
using OpenSslTls.Configuration;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Tests.Configuration;

/// <summary>The tls.cfg grammar of spec §3, rule by rule, with the exact place of every error.</summary>
public sealed class TlsCfgGrammarTests
{
    [Fact]
    public void Comments_empty_lines_and_whitespace_are_ignored_anywhere()
    {
        TlsProfileDefinition profile = Single("""
            # leading comment

            	[server:default]   # after a header
               verify_depth = 3   # after a value
            # between options
            server_name=a#b
            """);

        Assert.Equal(3, profile.Settings.VerifyDepth);
        Assert.Equal("a", profile.Settings.ServerName);
    }

    [Fact]
    public void Crlf_line_endings_are_accepted()
    {
        TlsProfileDefinition profile = Single("[server:default]\r\nverify_depth = 4\r\nserver_name = \"x y\"\r\n");

        Assert.Equal(4, profile.Settings.VerifyDepth);
        Assert.Equal("x y", profile.Settings.ServerName);
    }

    [Fact]
    public void Option_names_are_case_insensitive()
    {
        TlsProfileSettings settings = Server("METHOD = tlsv1.3\nVerify_Certificate = YES\nSERVER_NAME = Example.ORG");

        Assert.Equal(TlsMethod.TLSv1_3, settings.Method);
        Assert.True(settings.VerifyCertificate);
        Assert.Equal("Example.ORG", settings.ServerName);
    }

    [Fact]
    public void Every_alias_sets_its_canonical_field()
    {
        TlsProfileSettings settings = Server("""
            tls_method = TLSv1.2
            verify_cert = yes
            require_cert = on
            cert_file = /c.pem
            pkey_file = /k.pem
            pkey_password = pw
            calist_file = /ca.pem
            cert_file2 = /c2.pem
            pkey_file2 = /k2.pem
            pkey_password2 = pw2
            """);

        Assert.Equal(
            new TlsProfileSettings
            {
                Method = TlsMethod.TLSv1_2,
                VerifyCertificate = true,
                RequireCertificate = true,
                Certificate = "/c.pem",
                PrivateKey = "/k.pem",
                PrivateKeyPassword = "pw",
                CaList = "/ca.pem",
                Certificate2 = "/c2.pem",
                PrivateKey2 = "/k2.pem",
                PrivateKeyPassword2 = "pw2",
            },
            settings);
    }

    [Fact]
    public void Every_canonical_key_and_our_cipher_suites_key_are_read()
    {
        TlsProfileSettings settings = Single("""
            [client:default]
            method = TLSv1.3+
            verify_certificate = 1
            verify_depth = 5
            require_certificate = true
            verify_client = optional_no_ca
            certificate = /c.pem
            private_key = /k.pem
            private_key_password = secret
            ca_list = /ca.pem
            ca_path = /cadir
            crl = /crl.pem
            cipher_list = HIGH:!aNULL
            cipher_suites = TLS_AES_128_GCM_SHA256
            server_name = sip.example.org
            server_name_mode = 1
            server_id = peer-1
            certificate2 = /c2.pem
            private_key2 = /k2.pem
            private_key_password2 = secret2
            """).Settings;

        Assert.Equal(
            new TlsProfileSettings
            {
                Method = TlsMethod.TLSv1_3Plus,
                VerifyCertificate = true,
                VerifyDepth = 5,
                RequireCertificate = true,
                VerifyClient = VerifyClientMode.OptionalNoCa,
                Certificate = "/c.pem",
                PrivateKey = "/k.pem",
                PrivateKeyPassword = "secret",
                CaList = "/ca.pem",
                CaPath = "/cadir",
                Crl = "/crl.pem",
                CipherList = "HIGH:!aNULL",
                CipherSuites = "TLS_AES_128_GCM_SHA256",
                ServerName = "sip.example.org",
                ServerNameMode = ServerNameMode.DomainAndSubdomains,
                ServerId = "peer-1",
                Certificate2 = "/c2.pem",
                PrivateKey2 = "/k2.pem",
                PrivateKeyPassword2 = "secret2",
            },
            settings);
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("TRUE", true)]
    [InlineData("Enable", true)]
    [InlineData("enabled", true)]
    [InlineData("1", true)]
    [InlineData("on", true)]
    [InlineData("\"yes\"", true)]
    [InlineData("no", false)]
    [InlineData("False", false)]
    [InlineData("disable", false)]
    [InlineData("DISABLED", false)]
    [InlineData("0", false)]
    [InlineData("off", false)]
    public void Booleans_take_every_kamailio_spelling(string text, bool expected)
    {
        Assert.Equal(expected, Server("require_certificate = " + text).RequireCertificate);
    }

    [Fact]
    public void An_invalid_boolean_is_an_error_at_the_value()
    {
        Assert.Equal(
            "2:22: Invalid boolean value 'maybe' for 'verify_certificate': expected yes, no, true, false, on, off, enable(d), disable(d), 1 or 0",
            Error("[server:default]\nverify_certificate = maybe"));
    }

    [Fact]
    public void Quoted_values_support_their_escapes_and_line_continuation()
    {
        Assert.Equal("a\"b\\c\nd\re\tf", Server("""server_name = "a\"b\\c\nd\re\tf" """).ServerName);
        Assert.Equal("onetwo", Server("server_name = \"one\\\ntwo\"\nverify_depth = 2").ServerName);
        Assert.Equal("# not a comment", Server("server_name = \"# not a comment\"").ServerName);
        Assert.Equal("café ü", Server("server_name = \"café ü\"").ServerName);
    }

    [Fact]
    public void A_quoted_value_counts_continued_lines_for_later_errors()
    {
        Assert.Equal("4:1: Unsupported option 'bogus'", Error("[server:default]\nserver_name = \"a\\\nb\"\nbogus = 1"));
    }

    [Theory]
    [InlineData("server_name = \"a\\qb\"", "2:17: Unsupported escape character '\\q'")]
    [InlineData("server_name = \"a\\#b\"", "2:17: Unsupported escape character '\\#'")]
    [InlineData("server_name = \"a\\ b\"", "2:17: Unsupported escape character '\\ '")]
    [InlineData("server_name = \"abc", "2:15: Unterminated string: closing '\"' missing")]
    [InlineData("server_name = \"abc\nverify_depth = 2", "2:15: Unterminated string: closing '\"' missing")]
    public void Quoted_value_errors_are_placed_exactly(string line, string expected)
    {
        Assert.Equal(expected, Error("[server:default]\n" + line));
    }

    [Theory]
    [InlineData("a\\#b", "a#b")]
    [InlineData("a\\ b", "a b")]
    [InlineData("a\\\\b", "a\\b")]
    [InlineData("a\\\"b", "a\"b")]
    [InlineData("a\\tb", "a\tb")]
    [InlineData("ab\"cd", "ab\"cd")]
    [InlineData("HIGH:!aNULL:-MD5+SHA@STRENGTH", "HIGH:!aNULL:-MD5+SHA@STRENGTH")]
    [InlineData("=:;.,?[]/@!$%&*()-+|'", "=:;.,?[]/@!$%&*()-+|'")]
    public void Unquoted_values_take_delimiters_quotes_and_escapes(string text, string expected)
    {
        Assert.Equal(expected, Server("cipher_list = " + text).CipherList);
    }

    [Fact]
    public void An_unquoted_value_continues_on_the_next_line_after_a_backslash()
    {
        TlsProfileSettings settings = Server("cipher_list = HIGH:\\\n!aNULL\nverify_depth = 2");

        Assert.Equal("HIGH:!aNULL", settings.CipherList);
        Assert.Equal(2, settings.VerifyDepth);
    }

    [Theory]
    [InlineData("server_name = a~b", "2:16: Invalid character '~'; quote the value to use it")]
    [InlineData("server_name = café", "2:18: Invalid character U+00E9; quote the value to use it")]
    [InlineData("server_name = a{b}", "2:16: Invalid character '{'; quote the value to use it")]
    [InlineData("server_name = a\\qb", "2:16: Unsupported escape character '\\q'")]
    [InlineData("server_name = a b", "2:17: End of line expected, found 'b'")]
    public void Unquoted_value_errors_are_placed_exactly(string line, string expected)
    {
        Assert.Equal(expected, Error("[server:default]\n" + line));
    }

    [Fact]
    public void An_empty_quoted_value_leaves_a_text_field_unset()
    {
        Assert.Null(Server("server_name = \"\"").ServerName);
    }

    [Theory]
    [InlineData("[server:default]", TlsRole.Server)]
    [InlineData("[srv:default]", TlsRole.Server)]
    [InlineData("[s:default]", TlsRole.Server)]
    [InlineData("[SERVER:DEFAULT]", TlsRole.Server)]
    [InlineData("[client:def]", TlsRole.Client)]
    [InlineData("[cli:default]", TlsRole.Client)]
    [InlineData("[C:Def]", TlsRole.Client)]
    public void Section_types_and_default_aliases_are_case_insensitive(string header, TlsRole role)
    {
        TlsProfileDefinition profile = Single(header);

        Assert.Equal(role, profile.Role);
        Assert.Equal(TlsProfileScope.Default, profile.Scope);
        Assert.Null(profile.Address);
    }

    [Theory]
    [InlineData("[server:any]")]
    [InlineData("[server:all]")]
    [InlineData("[server:ANY]")]
    public void Any_and_all_name_the_any_address_scope(string header)
    {
        TlsProfileDefinition profile = Single(header + "\nserver_name = example.org");

        Assert.Equal(TlsProfileScope.Any, profile.Scope);
        Assert.Equal("server:any/example.org", profile.Label);
    }

    [Theory]
    [InlineData("[server:10.0.0.1:5061]", "10.0.0.1", 5061)]
    [InlineData("[ server : 10 . 0 . 0 . 1 : 5061 ]", "10.0.0.1", 5061)]
    [InlineData("[server:255.255.255.255:0]", "255.255.255.255", 0)]
    [InlineData("[server:1.2.3.4:065535]", "1.2.3.4", 65535)]
    [InlineData("[server:[2001:db8::1]:5061]", "2001:db8::1", 5061)]
    [InlineData("[server:[::1]:5061]", "::1", 5061)]
    [InlineData("[server:[::]:0]", "::", 0)]
    [InlineData("[server:[FE80:0:0:0:0:0:0:ABCD]:5061]", "fe80::abcd", 5061)]
    [InlineData("[server: [ 2001 : db8 :: 5 ] : 5062 ]", "2001:db8::5", 5062)]
    public void Address_headers_take_ipv4_and_bracketed_ipv6_with_a_port(string header, string address, int port)
    {
        TlsProfileDefinition profile = Single(header);

        Assert.Equal(TlsProfileScope.Address, profile.Scope);
        Assert.Equal(IPAddress.Parse(address), profile.Address);
        Assert.Equal(port, profile.Port);
    }

    [Theory]
    [InlineData("[]", "1:2: Syntax error, section type expected (server or client), found ']'")]
    [InlineData("[:default]", "1:2: Syntax error, section type expected (server or client), found ':'")]
    [InlineData("[proxy:default]", "1:2: Invalid section type 'proxy': expected server, srv, s, client, cli or c")]
    [InlineData("[server default]", "1:9: Syntax error, ':' expected after the section type, found 'default'")]
    [InlineData("[server]", "1:8: Syntax error, ':' expected after the section type, found ']'")]
    [InlineData("[server:]", "1:9: Syntax error, IP address expected, found ']'")]
    [InlineData("[server:*]", "1:9: Syntax error, IP address expected, found '*'")]
    [InlineData("[server:default:5061]", "1:16: Syntax error, ']' expected (no port is allowed after 'default'), found ':'")]
    [InlineData("[server:any:5061]", "1:12: Syntax error, ']' expected (no port is allowed after 'any'), found ':'")]
    [InlineData("[server:localhost:5061]", "1:9: Invalid IP address 'localhost': an IPv4 address, [IPv6 address], 'default' or 'any' expected")]
    [InlineData("[server:1.2.3]", "1:14: Invalid IP address: '.' expected, found ']'")]
    [InlineData("[server:1.2.3.256:5061]", "1:15: Invalid IP address: '256' is not an IPv4 octet (0..255)")]
    [InlineData("[server:1.2.3.x4:5061]", "1:15: Invalid IP address: 'x4' is not an IPv4 octet (0..255)")]
    [InlineData("[server:1.2.3.4]", "1:16: Syntax error, ':' expected and a port after the IP address, found ']'")]
    [InlineData("[server:1.2.3.4:]", "1:17: Syntax error, port expected, found ']'")]
    [InlineData("[server:1.2.3.4:-1]", "1:17: Syntax error, port expected, found '-'")]
    [InlineData("[server:1.2.3.4:65536]", "1:17: Invalid port '65536': expected 0..65535 (0 matches any port)")]
    [InlineData("[server:1.2.3.4:50x]", "1:17: Invalid port '50x': expected 0..65535 (0 matches any port)")]
    [InlineData("[server:1.2.3.4:5061", "1:21: Syntax error, ']' expected after the port, found the end of the file")]
    [InlineData("[server:1.2.3.4:5061\nmethod = TLSv1.2", "1:21: Syntax error, ']' expected after the port, found the end of the line")]
    [InlineData("[server:[2001:db8::g]:5061]", "1:20: Invalid IPv6 address: 'g' is neither a group of 1 to 4 hex digits nor ':'")]
    [InlineData("[server:[::ffff:1.2.3.4]:5061]", "1:18: Invalid IPv6 address: '.' is neither a group of 1 to 4 hex digits nor ':'")]
    [InlineData("[server:[1:2:3:4:5:6:7:8:9]:5061]", "1:9: Invalid IPv6 address '1:2:3:4:5:6:7:8:9'")]
    [InlineData("[server:[1::2::3]:5061]", "1:9: Invalid IPv6 address '1::2::3'")]
    [InlineData("[server:[::1", "1:13: Syntax error, ']' expected after the IPv6 address")]
    [InlineData("[server:[::1:5061]", "1:19: Syntax error, ':' expected and a port after the IP address, found the end of the file")]
    [InlineData("[server:[::1]]", "1:14: Syntax error, ':' expected and a port after the IP address, found ']'")]
    [InlineData("[server:default] extra", "1:18: End of line expected, found 'extra'")]
    [InlineData("[server:default]]", "1:17: End of line expected, found ']'")]
    public void Header_errors_are_placed_exactly(string header, string expected)
    {
        Assert.Equal(expected, CfgTestSupport.Errors(header)[0]);
    }

    [Fact]
    public void Options_before_the_first_header_are_unsupported()
    {
        Assert.Equal(
            "1:1: Unsupported option 'method' before the first section header: options belong to a [server:…] or [client:…] section",
            Error("method = TLSv1.2\n[server:default]"));
    }

    [Fact]
    public void An_unknown_option_is_unsupported_and_names_itself()
    {
        Assert.Equal("2:3: Unsupported option 'verify_certificat'", Error("[server:default]\n  verify_certificat = yes"));
    }

    [Theory]
    [InlineData("method TLSv1.2", "2:8: Syntax error, '=' expected after 'method', found 'TLSv1'")]
    [InlineData("method", "2:7: Syntax error, '=' expected after 'method', found the end of the file")]
    [InlineData("method =", "2:9: Parameter value missing for 'method'")]
    [InlineData("method =   # comment", "2:21: Parameter value missing for 'method'")]
    [InlineData("verify_depth = 3 4", "2:18: End of line expected, found '4'")]
    [InlineData("verify_depth = 3.5", "2:17: End of line expected, found '.'")]
    [InlineData("verify_depth = -1", "2:16: Invalid integer value for 'verify_depth': a negative number must be quoted, e.g. \"-1\"")]
    [InlineData("verify_depth = \"-1\"", "2:16: verify_depth must be 0..100, not -1")]
    [InlineData("verify_depth = 101", "2:16: verify_depth must be 0..100, not 101")]
    [InlineData("verify_depth = ten", "2:16: Invalid integer value 'ten' for 'verify_depth'")]
    [InlineData("verify_depth = \" 3\"", "2:16: Invalid integer value ' 3' for 'verify_depth'")]
    [InlineData("verify_depth = 99999999999", "2:16: Invalid integer value '99999999999' for 'verify_depth'")]
    [InlineData("method = TLSv9", "2:10: Invalid TLS method 'TLSv9': expected one of SSLv23, SSLv2, SSLv3, TLSv1, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3, TLSv1+, TLSv1.0+, TLSv1.1+, TLSv1.2+, TLSv1.3+")]
    [InlineData("verify_client = sometimes", "2:17: Invalid verify_client value 'sometimes': expected one of off, on, optional, optional_no_ca")]
    [InlineData("verify_depth = 3 # fine\n...", "3:1: Syntax error: a section header or an option expected, found '.'")]
    [InlineData("\"quoted\" = 1", "2:1: Syntax error: a section header or an option expected, found \"quoted\"")]
    public void Option_errors_are_placed_exactly(string line, string expected)
    {
        Assert.Equal(expected, Error("[server:default]\n" + line));
    }

    [Fact]
    public void Quoted_integers_and_signs_are_accepted()
    {
        Assert.Equal(7, Server("verify_depth = \"7\"").VerifyDepth);
        Assert.Equal(7, Server("verify_depth = \"+7\"").VerifyDepth);
        Assert.Equal(ServerNameMode.SubdomainsOnly, Server("server_name_mode = \"2\"").ServerNameMode);
    }

    [Fact]
    public void A_repeated_option_keeps_its_last_value()
    {
        TlsProfileSettings settings = Server("verify_depth = 3\nverify_depth = 4\ntls_method = TLSv1.2\nmethod = TLSv1.3");

        Assert.Equal(4, settings.VerifyDepth);
        Assert.Equal(TlsMethod.TLSv1_3, settings.Method);
    }

    [Fact]
    public void Every_error_of_a_file_is_collected_in_order()
    {
        List<string> errors = CfgTestSupport.Errors("""
            ...
            [server:default]
            verify_depth = 200
            method = TLSv1.2
            bogus = 1
            [client:nowhere]
            verify_depth = x
            [client:default]
            require_certificate = perhaps
            """);

        Assert.Equal(
            [
                "1:1: Syntax error: a section header or an option expected, found '.'",
                "3:16: verify_depth must be 0..100, not 200",
                "5:1: Unsupported option 'bogus'",
                "6:9: Invalid IP address 'nowhere': an IPv4 address, [IPv6 address], 'default' or 'any' expected",
                "7:16: Invalid integer value 'x' for 'verify_depth'",
                "9:23: Invalid boolean value 'perhaps' for 'require_certificate': expected yes, no, true, false, on, off, enable(d), disable(d), 1 or 0",
            ],
            errors);
    }

    [Fact]
    public void The_exception_message_lists_every_error_in_file_line_column_form()
    {
        var error = Assert.Throws<TlsConfigurationException>(() => Parse("[server:default]\nverify_depth = 200\nbogus = 1"));

        Assert.Contains("tls.cfg:2:16: verify_depth must be 0..100, not 200", error.Message, StringComparison.Ordinal);
        Assert.Contains("tls.cfg:3:1: Unsupported option 'bogus'", error.Message, StringComparison.Ordinal);
        Assert.Equal(new TlsConfigurationDiagnostic("tls.cfg", 3, 1, "Unsupported option 'bogus'"), error.Errors[1]);
        Assert.Equal("tls.cfg:3:1: Unsupported option 'bogus'", error.Errors[1].ToString());
    }

    [Fact]
    public void Options_after_a_broken_header_are_checked_but_build_no_profile()
    {
        var error = Assert.Throws<TlsConfigurationException>(() => Parse("[server:bad]\nverify_depth = 3\n[client:default]"));

        Assert.Single(error.Errors);
    }

    [Fact]
    public void A_second_default_section_is_an_error_naming_the_first()
    {
        Assert.Equal(
            "3:1: duplicate [server:default] section (first defined at tls.cfg:1:1): there can be only one",
            Error("[server:default]\n[client:default]\n[srv:def]"));
        Assert.Equal(
            "3:1: duplicate [client:default] section (first defined at tls.cfg:1:1): there can be only one",
            Error("[client:default]\n\n[c:def]"));
    }

    [Fact]
    public void The_last_section_is_checked_for_duplicates_too()
    {
        Assert.Equal(
            "3:1: duplicate [server:10.0.0.1:5061] section (first defined at tls.cfg:1:1): profiles on the same address and port must each have a server_name",
            Error("[server:10.0.0.1:5061]\nserver_name = a\n[server:10.0.0.1:5061]"));
    }

    [Fact]
    public void Same_address_profiles_need_a_server_name_each()
    {
        Assert.Equal(
            "3:1: duplicate [client:10.0.0.1:5061] section (first defined at tls.cfg:1:1): profiles on the same address and port must each have a server_name",
            Error("[client:10.0.0.1:5061]\n\n[client:10.0.0.1:5061]\nserver_name = b\n[client:default]"));
    }

    [Fact]
    public void Same_address_profiles_with_server_names_even_equal_ones_are_accepted()
    {
        TlsConfigDocument document = Parse("""
            [server:10.0.0.1:5061]
            server_name = a
            [server:10.0.0.1:5061]
            server_name = b
            [server:10.0.0.1:5061]
            server_name = b
            [client:10.0.0.1:5061]
            [server:10.0.0.1:0]
            [server:10.0.0.2:5061]
            """);

        Assert.Equal(6, document.Profiles.Count);
    }

    [Theory]
    [InlineData("[server:any]")]
    [InlineData("[client:all]\nserver_id = x")]
    public void An_any_profile_without_server_name_is_an_error_at_its_header(string section)
    {
        Assert.StartsWith("2:1: [", Error("[server:default]\n" + section), StringComparison.Ordinal);
        Assert.EndsWith("has no server_name: 'any' profiles are selected by SNI only, so they need one", Error("[server:default]\n" + section), StringComparison.Ordinal);
    }

    [Fact]
    public void Unset_fields_take_the_built_in_defaults()
    {
        TlsConfigDocument document = Parse("[server:default]\n[server:10.0.0.1:5061]\n[client:default]\n[server:10.0.0.2:0]\ncertificate = both.pem");

        TlsProfileSettings server = document.Profiles[0].Settings;
        Assert.Equal(TlsMethod.TLSv1_2Plus, server.Method);
        Assert.Equal("/etc/kamailio/cert.pem", server.Certificate);
        Assert.Equal("/etc/kamailio/cert.pem", server.PrivateKey);
        Assert.Equal(9, server.VerifyDepth);
        Assert.False(server.VerifyCertificate);
        Assert.Equal(VerifyClientMode.Off, server.VerifyClient);
        Assert.Equal("/etc/kamailio/cert.pem", document.Profiles[1].Settings.Certificate);
        Assert.Equal(new TlsProfileSettings(), document.Profiles[2].Settings);
        Assert.Equal("/etc/kamailio/both.pem", document.Profiles[3].Settings.PrivateKey);
    }

    [Fact]
    public void A_client_certificate_without_key_uses_the_certificate_file_for_the_key()
    {
        TlsProfileSettings settings = Single("[client:default]\ncertificate = /c.pem").Settings;

        Assert.Equal("/c.pem", settings.PrivateKey);
    }

    [Fact]
    public void File_names_resolve_by_kamailios_rule()
    {
        TlsProfileSettings settings = Server("""
            certificate = /abs/cert.pem
            private_key = ./key.pem
            ca_list = ca/list.pem
            crl = ../crl.pem
            ca_path = .hidden-dir
            """);

        Assert.Equal("/abs/cert.pem", settings.Certificate);
        Assert.Equal(Path.GetFullPath("key.pem"), settings.PrivateKey);
        Assert.Equal("/etc/kamailio/ca/list.pem", settings.CaList);
        Assert.Equal(Path.GetFullPath("../crl.pem"), settings.Crl);
        Assert.Equal(Path.GetFullPath(".hidden-dir"), settings.CaPath);
    }

    [Fact]
    public void Key_identifiers_starting_with_a_slash_pass_through()
    {
        Assert.Equal("/uri:pkcs11:token=T;object=K", Server("private_key = \"/uri:pkcs11:token=T;object=K\"").PrivateKey);
    }

    [Fact]
    public void Without_a_main_directory_relative_names_resolve_against_the_working_directory()
    {
        TlsProfileDefinition profile = Assert.Single(TlsConfigReader.Parse("[client:default]\nca_list = ca.pem", "x.cfg").Profiles);

        Assert.Equal(Path.GetFullPath("ca.pem"), profile.Settings.CaList);
    }

    [Fact]
    public void Texts_that_are_not_file_names_are_kept_as_written()
    {
        TlsProfileSettings settings = Server("private_key_password = ./secret\nserver_id = ./id\ncipher_list = ./c");

        Assert.Equal("./secret", settings.PrivateKeyPassword);
        Assert.Equal("./id", settings.ServerId);
        Assert.Equal("./c", settings.CipherList);
    }

    [Fact]
    public void Profiles_keep_file_order_labels_and_sources()
    {
        TlsConfigDocument document = Parse("""
            [client:[2001:db8::1]:5061]
            server_name = b.example
            [server:10.0.0.1:0]

              [server:any]
            server_name = a.example
            [client:default]
            """);

        Assert.Equal(
            ["client:[2001:db8::1]:5061/b.example", "server:10.0.0.1:0", "server:any/a.example", "client:default"],
            document.Profiles.Select(p => p.Label));
        Assert.Equal(["tls.cfg:1:1", "tls.cfg:3:1", "tls.cfg:5:3", "tls.cfg:7:1"], document.Profiles.Select(p => p.Source));
        Assert.Equal(["tls.cfg"], document.Files);
    }

    [Fact]
    public void An_empty_file_has_no_profiles()
    {
        Assert.Empty(Parse("# nothing\n\n").Profiles);
        Assert.Empty(Parse(string.Empty).Profiles);
    }
}
