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
            --modparams FILE          (not available yet: configuration reader pending)
            --appsettings FILE        (not available yet: configuration reader pending)
            --tls-cfg FILE            (not available yet: configuration reader pending)

          send HOST[:PORT]   open a TLS connection, send OPTIONS, print the replies and the TLS facts
            --count N                 how many OPTIONS to send, one after another (default 1)
            --server-name NAME        SNI to send (default: HOST when it is a name, none for an IP address)
            --certificate FILE        client certificate; with --private-key
            --private-key FILE
            --ca-list FILE            CAs the server's certificate must chain to (with --verify)
            --verify                  fail unless the server's certificate verifies against --ca-list
            --timeout SECONDS         for connecting and for each reply (default 10)
            --server-id ID            (not available yet: configuration reader pending)

          help    this text

        exit codes: 0 success, 1 failure, 2 bad command line or not available yet
        """;
}
