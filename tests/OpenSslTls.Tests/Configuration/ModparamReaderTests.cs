using OpenSslTls.Configuration;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Tests.Configuration;

/// <summary>modparam("tls", …) lines pasted from a kamailio.cfg.</summary>
public sealed class ModparamReaderTests
{
    private const string File = "kamailio.cfg";

    private static TlsModuleOptions Read(string text, out IReadOnlyList<TlsConfigurationDiagnostic> notes)
    {
        var options = new TlsModuleOptions();
        notes = TlsModuleOptionsReader.ApplyModparams(options, text, File);
        return options;
    }

    private static TlsModuleOptions Read(string text) => Read(text, out _);

    private static List<string> Errors(string text)
    {
        var error = Assert.Throws<TlsConfigurationException>(() => Read(text));
        Assert.All(error.Errors, e => Assert.Equal(File, e.File));
        return [.. error.Errors.Select(e => $"{e.Line}:{e.Column}: {e.Message}")];
    }

    [Fact]
    public void Strings_integers_and_booleans_are_read()
    {
        TlsModuleOptions options = Read("""
            modparam("tls", "tls_method", "TLSv1.3")
            modparam("tls", "verify_depth", 3)
            modparam("tls", "connection_timeout", -1)
            modparam("tls", "low_mem_threshold1", -1)
            modparam("tls", "ct_wq_blk_size", 0x800)
            modparam("tls", "verify_certificate", yes)
            modparam("tls", "tls_disable_compression", off)
            modparam("tls", "cipher_list", 'HIGH:!aNULL')
            modparam("tls", "session_id", "a\"b\\c")
            """);

        Assert.Equal(TlsMethod.TLSv1_3, options.Method);
        Assert.Equal(3, options.VerifyDepth);
        Assert.Equal(-1, options.ConnectionTimeout);
        Assert.Equal(-1, options.LowMemoryThreshold1);
        Assert.Equal(2048, options.ClearTextQueueBlockSize);
        Assert.True(options.VerifyCertificate);
        Assert.False(options.DisableCompression);
        Assert.Equal("HIGH:!aNULL", options.CipherList);
        Assert.Equal("a\"b\\c", options.SessionId);
    }

    [Fact]
    public void Comments_semicolons_and_statements_over_several_lines_are_accepted()
    {
        TlsModuleOptions options = Read("""
            # a comment
            // another comment
            /* a block
               comment */ modparam("tls", "verify_depth", 4);  # trailing
            modparam(
                "tls",
                "server_name",   // the SNI
                "sip.example.org"
            )
            modparam("tls", "crl", "/crl.pem") modparam("tls", "ca_list", "/ca.pem")
            """);

        Assert.Equal(4, options.VerifyDepth);
        Assert.Equal("sip.example.org", options.ServerName);
        Assert.Equal("/crl.pem", options.Crl);
        Assert.Equal("/ca.pem", options.CaList);
    }

    [Fact]
    public void Other_modules_loadmodule_core_settings_and_directives_are_ignored_with_a_note()
    {
        Read(
            """
            #!define WITH_TLS
            loadmodule "tls.so"
            debug=2
            listen=tls:1.2.3.4:5061
            modparam("tm", "fr_timer", 30000)
            modparam("tls", "verify_depth", 5)
            """,
            out IReadOnlyList<TlsConfigurationDiagnostic> notes);

        Assert.Equal(
            [
                "kamailio.cfg:1:1: preprocessor directive '#!define WITH_TLS' ignored",
                "kamailio.cfg:2:1: 'loadmodule' ignored",
                "kamailio.cfg:3:1: core parameter 'debug' ignored",
                "kamailio.cfg:4:1: core parameter 'listen' ignored",
                "kamailio.cfg:5:1: modparam for module 'tm' ignored",
            ],
            notes.Select(note => note.ToString()));
    }

    [Theory]
    [InlineData("modparam(\"tls\", \"tls_methods\", \"TLSv1.2\")", "1:17: unknown parameter 'tls_methods' of module tls")]
    [InlineData("modparam(\"tls\", \"TLS_METHOD\", \"TLSv1.2\")", "1:17: unknown parameter 'TLS_METHOD' of module tls (did you mean 'tls_method'?)")]
    [InlineData("modparam(\"tls\", \"server_name_mode\", 1)", "1:17: unknown parameter 'server_name_mode' of module tls")]
    [InlineData("modparam(\"tls\", \"certificate2\", \"/c.pem\")", "1:17: unknown parameter 'certificate2' of module tls")]
    [InlineData("modparam(\"tls\", \"verify_depth\", \"3\")", "1:33: verify_depth takes an integer, not the string \"3\"; write the value without quotes")]
    [InlineData("modparam(\"tls\", \"tls_method\", 12)", "1:31: tls_method takes a string, not the integer 12; quote the value")]
    [InlineData("modparam(\"tls\", \"verify_depth\", 200)", "1:33: verify_depth must be 0..100, not 200")]
    [InlineData("modparam(\"tls\", \"ssl_max_send_fragment\", 100)", "1:42: ssl_max_send_fragment must be -1 or 512..16384, not 100")]
    [InlineData("modparam(\"tls\", \"tls_method\", \"TLSv9\")", "1:31: tls_method must be one of SSLv23, SSLv2, SSLv3, TLSv1, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3, TLSv1+, TLSv1.0+, TLSv1.1+, TLSv1.2+, TLSv1.3+, not 'TLSv9'")]
    [InlineData("modparam(\"tls\", \"verify_client\", \"maybe\")", "1:34: verify_client must be one of off, on, optional, optional_no_ca, not 'maybe'")]
    [InlineData("modparam(\"tls\", \"session_id\", \"123456789012345678901234567890123\")", "1:31: session_id must be at most 32 bytes, not '123456789012345678901234567890123'")]
    [InlineData("modparam(\"tls\", \"rand_engine\", \"urandom\")", "1:32: rand_engine: unknown value 'urandom'; use cryptorand or kxlibssl (OpenSSL's default DRBG) or CTR-DRBG, HASH-DRBG, HMAC-DRBG (krand and fastrand are refused as not cryptographically secure)")]
    [InlineData("modparam(\"tls\", \"rand_engine\", \"fastrand\")", "1:32: rand_engine: 'fastrand' is refused: Kamailio's fastrand (ISAAC) is not a cryptographically secure generator, and TLS keys, nonces and session tickets would be predictable. Use cryptorand or kxlibssl (both select OpenSSL's default DRBG, thread-safe in OpenSSL 3), or CTR-DRBG, HASH-DRBG, HMAC-DRBG")]
    [InlineData("modparam(\"tls\", \"keylog_peer\", \"tcp:1.2.3.4:9\")", "1:32: keylog_peer must be udp:ip:port, not 'tcp:1.2.3.4:9'")]
    [InlineData("modparam(\"tls\", \"keylog_mode\", 32)", "1:32: keylog_mode must combine the bits 1, 2, 4, 8, 16 and 1024, not 32")]
    [InlineData("modparam(\"tls\", \"engine\", \"\")", "1:27: engine must not be empty")]
    [InlineData("modparam(\"tls\", \"con_ct_wq_max\", 4194305)", "1:34: con_ct_wq_max must be 0..4194304, not 4194305")]
    [InlineData("modparam(\"tls\", \"verify_depth\", 99999999999)", "1:33: verify_depth: 99999999999 is out of range")]
    [InlineData("modparam(\"tls\", \"verify_depth\")", "1:1: modparam takes 3 arguments (module, parameter, value), not 2")]
    [InlineData("modparam(tls, \"verify_depth\", 1)", "1:10: a value expected (a quoted string or an integer), found 'tls'")]
    [InlineData("modparam(1, \"verify_depth\", 1)", "1:10: modparam's module and parameter names must be quoted strings")]
    [InlineData("modparam(\"tls\" \"verify_depth\", 1)", "1:16: ',' or ')' expected, found the string \"verify_depth\"")]
    [InlineData("modparam(\"tls\", \"verify_depth\", 12ab)", "1:33: invalid number '12ab'")]
    [InlineData("modparam(\"tls\", \"verify_depth\", -x)", "1:34: a number expected after '-', found 'x'")]
    [InlineData("modparam(\"tls\", \"server_name\", \"abc)", "1:32: unterminated string")]
    [InlineData("modparam(\"tls\", \"server_name\", \"a\\qc\")", "1:34: unsupported escape '\\q' in string")]
    [InlineData("modparam \"tls\"", "1:10: '(' expected after 'modparam', found the string \"tls\"")]
    [InlineData("route[MAIN] {", "1:6: '(' expected after 'route', found unexpected character '['")]
    [InlineData("xlog(\"L_INFO\", \"hi\")", "1:1: 'xlog' is not read here: only modparam(\"tls\", \"name\", value) statements are")]
    [InlineData("modparam(\"tls\", \"verify_depth\", 3) @", "1:36: unexpected character '@'")]
    [InlineData("/* never closed", "1:1: unterminated /* comment")]
    public void Errors_name_the_parameter_and_the_place(string line, string expected)
    {
        Assert.Equal(expected, Assert.Single(Errors(line)));
    }

    [Fact]
    public void Every_error_of_the_file_is_collected_and_reading_resumes_on_the_next_line()
    {
        List<string> errors = Errors("""
            modparam("tls", "verify_depth", 200)
            modparam("tls", "bogus", 1)
            modparam("tls", "tls_method" "TLSv1.2")
            modparam("tls", "crl", "/ok.pem")
            modparam("tls", "verify_depth", 3
            modparam("tls", "tls_log", -6)
            """);

        Assert.Equal(
            [
                "1:33: verify_depth must be 0..100, not 200",
                "2:17: unknown parameter 'bogus' of module tls",
                "3:30: ',' or ')' expected, found the string \"TLSv1.2\"",
                "6:1: ',' or ')' expected, found 'modparam'",
                "6:28: tls_log must be -5..1000, not -6",
            ],
            errors);
    }

    [Fact]
    public void Nothing_is_applied_when_there_is_an_error()
    {
        var options = new TlsModuleOptions();

        Assert.Throws<TlsConfigurationException>(() => TlsModuleOptionsReader.ApplyModparams(
            options, "modparam(\"tls\", \"verify_depth\", 3)\nmodparam(\"tls\", \"bogus\", 1)", File));

        Assert.Equal(9, options.VerifyDepth);
    }

    [Fact]
    public void The_last_assignment_of_a_parameter_wins()
    {
        Assert.Equal(5, Read("modparam(\"tls\", \"verify_depth\", 3)\nmodparam(\"tls\", \"verify_depth\", 5)").VerifyDepth);
    }

    [Fact]
    public void Keylog_modes_that_need_a_destination_require_it()
    {
        Assert.Equal(
            [
                "0:0: keylog_mode has bit 8 (append to keylog_file) but keylog_file is not set",
                "0:0: keylog_mode has bit 16 (send to keylog_peer) but keylog_peer is not set",
            ],
            Errors("modparam(\"tls\", \"keylog_mode\", 27)"));
        Assert.Equal(27, Read("""
            modparam("tls", "keylog_mode", 27)
            modparam("tls", "keylog_file", "/tmp/keys.log")
            modparam("tls", "keylog_peer", "udp:127.0.0.1:9999")
            """).KeylogMode);
    }

    [Fact]
    public void Every_parameter_of_the_kamailio_documentation_is_accepted()
    {
        // The names of Kamailio's tls module parameters (docs and code), each given a valid value.
        TlsModuleOptions options = Read("""
            modparam("tls", "tls_method", "TLSv1.2+")
            modparam("tls", "certificate", "/c.pem")
            modparam("tls", "private_key", "/k.pem")
            modparam("tls", "private_key_password", "pw")
            modparam("tls", "key_password_mode", 0)
            modparam("tls", "ca_list", "/ca.pem")
            modparam("tls", "ca_path", "/ca")
            modparam("tls", "crl", "/crl.pem")
            modparam("tls", "verify_certificate", 1)
            modparam("tls", "verify_depth", 9)
            modparam("tls", "require_certificate", 1)
            modparam("tls", "verify_client", "optional")
            modparam("tls", "cipher_list", "HIGH")
            modparam("tls", "server_name", "kamailio.org")
            modparam("tls", "connection_timeout", 60)
            modparam("tls", "tls_disable_compression", 0)
            modparam("tls", "ssl_release_buffers", 1)
            modparam("tls", "ssl_freelist_max_len", 0)
            modparam("tls", "ssl_max_send_fragment", 4096)
            modparam("tls", "ssl_read_ahead", 1)
            modparam("tls", "send_close_notify", 1)
            modparam("tls", "con_ct_wq_max", 1048576)
            modparam("tls", "ct_wq_max", 4194304)
            modparam("tls", "ct_wq_blk_size", 2048)
            modparam("tls", "tls_log", 10)
            modparam("tls", "tls_debug", 10)
            modparam("tls", "low_mem_threshold1", -1)
            modparam("tls", "low_mem_threshold2", -1)
            modparam("tls", "tls_force_run", 1)
            modparam("tls", "session_cache", 1)
            modparam("tls", "session_id", "my-session-id-context")
            modparam("tls", "renegotiation", 1)
            modparam("tls", "config", "/usr/local/etc/kamailio/tls.cfg")
            modparam("tls", "xavp_cfg", "tls")
            modparam("tls", "event_callback", "ksr_tls_event")
            modparam("tls", "rand_engine", "HMAC-DRBG")
            modparam("tls", "engine", "pkcs11")
            modparam("tls", "engine_config", "/usr/local/etc/kamailio/openssl.cnf")
            modparam("tls", "engine_algorithms", "ALL")
            modparam("tls", "provider_quirks", 1)
            modparam("tls", "provider_quirks_config", "/etc/quirks.cnf")
            modparam("tls", "init_mode", 1)
            modparam("tls", "keylog_mode", 3)
            modparam("tls", "keylog_file", "/tmp/keys")
            modparam("tls", "keylog_peer", "udp:[::1]:9000")
            modparam("tls", "cipher_suites", "TLS_AES_256_GCM_SHA384")
            """);

        Assert.Equal(60, options.ConnectionTimeout);
        Assert.Equal("pkcs11", options.Engine);
        Assert.Equal("udp:[::1]:9000", options.KeylogPeer);
        Assert.Equal(VerifyClientMode.Optional, options.VerifyClient);
        Assert.Equal(4096, options.MaxSendFragment);
    }

    [Fact]
    public void Server_name_ca_path_and_private_key_password_modparams_take_effect()
    {
        TlsModuleOptions options = Read("""
            modparam("tls", "server_name", "sip.example.org")
            modparam("tls", "ca_path", "/etc/ssl/hashed")
            modparam("tls", "private_key_password", "secret")
            """);

        TlsProfileSettings settings = options.ToProfileSettings();

        Assert.Equal("sip.example.org", settings.ServerName);
        Assert.Equal("/etc/ssl/hashed", settings.CaPath);
        Assert.Equal("secret", settings.PrivateKeyPassword);
    }

    [Fact]
    public void A_modparam_file_is_the_main_configuration_for_relative_names()
    {
        using var directory = new TempDirectory();
        string file = directory.Write("kamailio.cfg", "loadmodule \"tls.so\"\nmodparam(\"tls\", \"ca_list\", \"tls/ca.pem\")\n");
        var options = new TlsModuleOptions();

        IReadOnlyList<TlsConfigurationDiagnostic> notes = TlsModuleOptionsReader.ApplyModparamFile(options, file);

        Assert.Equal(directory.Path, options.MainConfigDirectory);
        Assert.Equal(Path.Combine(directory.Path, "tls", "ca.pem"), options.ToProfileSettings().CaList);
        Assert.Equal(Path.Combine(directory.Path, "cert.pem"), options.ToProfileSettings().Certificate);
        Assert.Equal(new TlsConfigurationDiagnostic(file, 1, 1, "'loadmodule' ignored"), Assert.Single(notes));
    }

    [Fact]
    public void A_set_main_directory_is_kept_when_reading_a_modparam_file()
    {
        using var directory = new TempDirectory();
        string file = directory.Write("tls-params.cfg", "modparam(\"tls\", \"verify_depth\", 2)\n");
        var options = new TlsModuleOptions { MainConfigDirectory = "/etc/kamailio" };

        TlsModuleOptionsReader.ApplyModparamFile(options, file);

        Assert.Equal("/etc/kamailio", options.MainConfigDirectory);
    }

    [Fact]
    public void An_unreadable_modparam_file_is_an_error_naming_it()
    {
        var error = Assert.Throws<TlsConfigurationException>(() => TlsModuleOptionsReader.ApplyModparamFile(new TlsModuleOptions(), "/nonexistent/kamailio.cfg"));

        Assert.Equal("/nonexistent/kamailio.cfg", Assert.Single(error.Errors).File);
    }

    [Fact]
    public void The_printed_modparams_read_back_to_the_same_options()
    {
        TlsModuleOptions options = Read("""
            modparam("tls", "tls_method", "TLSv1.3")
            modparam("tls", "server_name", "a \"quoted\"\tname\\")
            modparam("tls", "verify_depth", 0)
            modparam("tls", "connection_timeout", -1)
            modparam("tls", "send_close_notify", 1)
            """);

        string printed = TlsModuleOptionsReader.ToModparams(options);
        TlsModuleOptions again = Read(printed);

        Assert.Equal(printed, TlsModuleOptionsReader.ToModparams(again));
        Assert.Contains("modparam(\"tls\", \"tls_method\", \"TLSv1.3\")\n", printed, StringComparison.Ordinal);
        Assert.Contains("modparam(\"tls\", \"connection_timeout\", -1)\n", printed, StringComparison.Ordinal);
    }
}
