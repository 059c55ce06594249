namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>The help text.</summary>
internal static class UsageText
{
    public const string Text = """
        usage: openssltls <command> [options]

        commands:
          serve   listen for SIP over TLS and answer OPTIONS/REGISTER with 200, anything else with 501
            --listen ADDR:PORT        where to listen (repeatable; IPv6 as [::1]:5061; port 0 picks one); default 127.0.0.1:5061
            --certificate FILE        PEM certificate (and chain); with --private-key. Default: a self-signed
            --private-key FILE        certificate for localhost, made on first start in the data directory
            --ca-list FILE            PEM bundle of CAs that client certificates must chain to
            --verify-client [MODE]    ask for client certificates: on (the default when MODE is left out), optional,
                                      optional_no_ca or off
            --send-close-notify       send a TLS close_notify when closing a connection (Kamailio send_close_notify)
            --data-dir DIR            default $XDG_DATA_HOME/openssltls or ~/.local/share/openssltls
            --log-level LEVEL         trace, debug, information (default), warning or error
            --modparams FILE          Kamailio modparam("tls", ...) lines: the module parameters
            --appsettings FILE        JSON whose section "Tls" holds the module parameters (Kamailio names)
            --tls-cfg FILE|DIR        a tls.cfg (sets config): per-address/SNI server and client profiles
                                      (none of the three: the self-signed default certificate; --certificate,
                                      --private-key, --ca-list, --verify-client override the files)
            --control-socket PATH     the admin socket for ctl (mode 0600); default DATA-DIR/control.sock
            --sweep-interval SECONDS  how often idle connections past connection_timeout are closed (default 5)
            --max-connections-per-address N  connections one IP address may hold (default 256; 0: no limit)
            --max-client-hello-bytes N  longest ClientHello accepted, checked before TLS starts (default 16384)

          send HOST[:PORT]   open a TLS connection, send OPTIONS, print the replies and the TLS facts
            --count N                 how many OPTIONS to send, one after another (default 1)
            --server-name NAME        SNI to send (default: HOST when it is a name, none for an IP address)
            --certificate FILE        client certificate; with --private-key
            --private-key FILE
            --ca-list FILE            CAs the server's certificate must chain to (with --verify)
            --verify                  fail unless the server's certificate verifies against --ca-list
            --timeout SECONDS         for connecting and for each reply (default 10)
            --server-id ID            choose the [client:...] profile with this server_id
            --modparams FILE, --appsettings FILE, --tls-cfg FILE|DIR   as for serve (client profiles; a tls.cfg
                                      needs no [server:default] here)

          check FILE   validate a tls.cfg, modparam file or appsettings.json like kamailio -c: print the resolved
                       profiles and every error (file:line:column: message); exit code 1 on any error
            --as KIND                 tls-cfg, modparams or appsettings (default: by name and content)

          ctl COMMAND [ID]   ask a running serve: tls.info, tls.list, tls.options, tls.reload, tls.kill ID
            --socket PATH             the control socket (default DATA-DIR/control.sock)
            --data-dir DIR            where the default control socket is
            --json                    print JSON instead of key: value lines

          help    this text

        event_callback: the one handler name openssltls knows is ksr_tls_event (Kamailio's documented example); it logs
        each outgoing connection's TLS facts (tls:connection-out). Any other name is a configuration error.

        exit codes: 0 success, 1 failure, 2 bad command line
        """;
}
