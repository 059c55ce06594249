namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>The help texts: <c>openssltls --help</c> lists the commands, <c>openssltls COMMAND --help</c> shows one command's options.</summary>
internal static class UsageText
{
    /// <summary>The commands <see cref="For"/> has a text for.</summary>
    public static readonly IReadOnlyList<string> Commands = ["serve", "send", "check", "ctl"];

    /// <summary><c>openssltls --help</c>: every command in one line, then the common facts.</summary>
    public const string Text = """
        usage: openssltls <command> [options]

        commands:
          serve              listen for SIP over TLS and answer OPTIONS/REGISTER with 200, anything else with 501
          send HOST[:PORT]   open a TLS connection, send OPTIONS, print the replies and the TLS facts
          check FILE         validate a tls.cfg, modparam file or appsettings.json like kamailio -c
          ctl COMMAND [ARGS] ask a running serve: tls.info, tls.list, tls.options, tls.reload, tls.kill ID,
                             cfg.get tls [NAME], cfg.set tls NAME VALUE, core.memory
          help [COMMAND]     this text, or a command's options (also: openssltls COMMAND --help or -h)
          version            the program's version

        event_callback: the one handler name openssltls knows is ksr_tls_event (Kamailio's documented example); it logs
        each outgoing connection's TLS facts (tls:connection-out). Any other name is a configuration error.

        exit codes: 0 success, 1 failure, 2 bad command line
        """;

    private const string Serve = """
        usage: openssltls serve [options]

        listen for SIP over TLS and answer OPTIONS/REGISTER with 200, anything else with 501; stop with Ctrl-C or SIGTERM

        options:
          --listen ADDR:PORT        where to listen (repeatable; IPv6 as [::1]:5061; port 0 picks one); default 127.0.0.1:5061
          --certificate FILE        PEM certificate (and chain); with --private-key. Default: a self-signed
          --private-key FILE        certificate for localhost, made on first start in the data directory
          --ca-list FILE            PEM bundle of CAs that client certificates must chain to
          --verify-client [MODE]    ask for client certificates: on (the default when MODE is left out), optional,
                                    optional_no_ca or off
          --groups LIST             key exchange groups in preference order, e.g. X25519:P-256 or, on OpenSSL
                                    3.5+, X25519MLKEM768:X25519 (modparam groups); groups left out are refused
          --send-close-notify       send a TLS close_notify when closing a connection (Kamailio send_close_notify)
          --data-dir DIR            default $XDG_DATA_HOME/openssltls or ~/.local/share/openssltls
          --log-level LEVEL         trace, debug, information (default), warning or error
          --modparams FILE          Kamailio modparam("tls", ...) lines: the module parameters
          --appsettings FILE        JSON whose section "Tls" holds the module parameters (Kamailio names)
          --tls-cfg FILE|DIR        a tls.cfg (sets config): per-address/SNI server and client profiles
                                    (none of the three: the self-signed default certificate; --certificate,
                                    --private-key, --ca-list, --verify-client, --groups override the files)
          --control-socket PATH     the admin socket for ctl (mode 0600); default DATA-DIR/control.sock
          --sweep-interval SECONDS  how often idle connections past connection_timeout (no SIP yet) or
                                    tcp_connection_lifetime (after SIP) are closed (default 5)
          --max-connections N       connections open at once; more are closed at accept (default 16384)
          --max-connections-per-address N  connections one IP address may hold (default 256; 0: no limit)
          --max-client-hello-bytes N  longest ClientHello accepted, checked before TLS starts (default 16384)
          --descriptor-reserve N    file descriptors kept free below ulimit -n for the runtime; connections
                                    beyond the rest are closed at accept (default 64; 0: no such cap)
          --max-handshakes-in-progress N  handshakes at once; more connections wait, accepted, their
                                    handshake not started, until one completes (default 64 per processor; 0: no bound)
          --cluster redis://HOST:PORT  share ticket keys and TLS 1.2 session ids with every node on this Redis (turns
                                    session_cache on); needs --cluster-key-file
          --cluster-key-file FILE   the cluster's key-encryption key (32 bytes, or their hex or base64)
          --cluster-rotation SECONDS  age of the newest ticket key before the next is made (default 43200)
          --cluster-lookup-timeout MS  longest a handshake waits for a session-id lookup (default 100)
                                    (the files may set these as cluster_address, cluster_key_file,
                                    cluster_rotation, cluster_lookup_timeout; the flags override them)
          --listen-wss ADDR:PORT    also listen for SIP over secure WebSocket (RFC 7118, subprotocol sip; repeatable),
                                    with the same TLS profiles, admin views and metrics as the TLS listener
          --status-page             serve a read-only status page at https://ADDR:PORT/status on the WebSocket
                                    listener (tls.info, tls.list, metrics, live), to loopback peers only
          --status-page-remote      show the status page to peers other than loopback ones too
          -h, --help                this text

        exit codes: 0 stopped, 1 could not start (configuration, certificate, port), 2 bad command line
        """;

    private const string Send = """
        usage: openssltls send HOST[:PORT] [options]

        open a TLS connection, send OPTIONS, print the replies and the TLS facts (PORT defaults to 5061)

        options:
          --count N                 how many OPTIONS to send, one after another (default 1)
          --server-name NAME        SNI to send, also matched against the client profiles' server_name (default:
                                    HOST when it is a name, none for an IP address); a host name, not an IP address
          --certificate FILE        client certificate; with --private-key
          --private-key FILE
          --ca-list FILE            CAs the server's certificate must chain to (with --verify)
          --verify                  fail unless the server's certificate verifies against --ca-list
          --groups LIST             key exchange groups to offer, in preference order (modparam groups)
          --timeout SECONDS         for connecting and for each reply (default 10)
          --server-id ID            choose the [client:...] profile with this server_id (an error when none has
                                    it); with --server-name, what Kamailio's xavp_cfg attributes set per connection
          --modparams FILE, --appsettings FILE, --tls-cfg FILE|DIR   as for serve (client profiles; a tls.cfg
                                    needs no [server:default] here)
          -h, --help                this text

        exit codes: 0 every reply was 2xx, 1 failure (TLS, network, files, a non-2xx reply), 2 bad command line
        """;

    private const string Check = """
        usage: openssltls check FILE [options]

        validate a tls.cfg, modparam file or appsettings.json like kamailio -c: print the resolved profiles and every
        error (file:line:column: message)

        options:
          --as KIND                 tls-cfg, modparams or appsettings (default: by name and content)
          -h, --help                this text

        exit codes: 0 configuration OK, 1 any error, 2 bad command line
        """;

    private const string Ctl = """
        usage: openssltls ctl COMMAND [ARGS] [options]

        ask a running serve over its control socket; COMMAND is one of
          tls.info, tls.list, tls.options, tls.reload (needs a tls.cfg: 'config' set), tls.kill ID (an id from tls.list)
          cfg.get tls [NAME]        one runtime variable, or all of them (Kamailio's cfg group tls)
          cfg.set tls NAME VALUE    change one at once: config, log, debug, connection_timeout, low_mem_threshold1,
                                    low_mem_threshold2, ct_wq_max, con_ct_wq_max, ct_wq_blk_size, send_close_notify
                                    (also as cfg.set_now_int/cfg.seti and cfg.set_now_string/cfg.sets)
          core.memory               resident set and live managed heap (runs a full GC first)

        options:
          --socket PATH             the control socket (default DATA-DIR/control.sock)
          --data-dir DIR            where the default control socket is
          --json                    print JSON instead of key: value lines
          -h, --help                this text

        exit codes: 0 the server answered ok, 1 it answered an error or no server listens, 2 bad command line
        """;

    /// <summary>The help of <paramref name="command"/>, or null when there is no such command.</summary>
    public static string? For(string command) => command switch
    {
        "serve" => Serve,
        "send" => Send,
        "check" => Check,
        "ctl" => Ctl,
        _ => null,
    };

    /// <summary>Whether <paramref name="args"/> (a command's arguments) ask for its help: <c>-h</c> or <c>--help</c> before any <c>--</c>.</summary>
    public static bool AsksForHelp(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        foreach (string arg in args)
        {
            if (arg == "--")
            {
                return false;
            }

            if (arg is "-h" or "--help")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The hint appended to a bad command line: where the options of <paramref name="command"/> are listed.</summary>
    public static string Hint(string command) => $"(see: openssltls {command} --help)";
}
