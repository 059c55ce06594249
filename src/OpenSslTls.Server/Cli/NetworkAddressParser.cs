using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>Parses the address arguments: <c>--listen ADDR:PORT</c> (IP literals, IPv6 in brackets) and the <c>send</c> target <c>HOST[:PORT]</c>.</summary>
internal static class NetworkAddressParser
{
    /// <summary>
    /// <c>127.0.0.1:5061</c>, <c>0.0.0.0:5061</c>, <c>[::1]:5061</c>, <c>[::]:0</c>. The port is required (0 picks a free one);
    /// throws <see cref="CommandLineException"/> otherwise.
    /// </summary>
    public static IPEndPoint ParseListen(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        (string host, int? port) = SplitHostPort(text, "--listen");
        if (port is null)
        {
            throw new CommandLineException($"--listen '{text}' needs a port: ADDR:PORT, e.g. 127.0.0.1:5061 or [::1]:5061");
        }

        if (!IPAddress.TryParse(host, out IPAddress? address) || (address.AddressFamily == AddressFamily.InterNetworkV6 && !text.StartsWith('[')))
        {
            throw new CommandLineException($"--listen '{text}': '{host}' is not an IP address (write IPv6 in brackets: [::1]:5061)");
        }

        return new IPEndPoint(address, port.Value);
    }

    /// <summary>
    /// <c>host</c>, <c>host:port</c>, <c>1.2.3.4:port</c>, <c>[::1]:port</c>; the port defaults to <paramref name="defaultPort"/>.
    /// Throws <see cref="CommandLineException"/> for anything else.
    /// </summary>
    public static (string Host, int Port) ParseTarget(string text, int defaultPort)
    {
        ArgumentNullException.ThrowIfNull(text);
        (string host, int? port) = SplitHostPort(text, "target");
        if (host.Length == 0 || host.Contains(':', StringComparison.Ordinal) && !IPAddress.TryParse(host, out _))
        {
            throw new CommandLineException($"'{text}' is not HOST:PORT (write IPv6 in brackets: [::1]:5061)");
        }

        return (host, port ?? defaultPort);
    }

    private static (string Host, int? Port) SplitHostPort(string text, string what)
    {
        string host;
        string? port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                throw new CommandLineException($"{what} '{text}': expected [IPv6]:PORT");
            }

            host = text[1..close];
            port = close + 1 < text.Length ? text[(close + 2)..] : null;
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                // Several colons without brackets: a bare IPv6 address, whose last group must not be taken for a port.
                return (text, null);
            }

            host = colon < 0 ? text : text[..colon];
            port = colon < 0 ? null : text[(colon + 1)..];
        }

        if (port is null)
        {
            return (host, null);
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number > IPEndPoint.MaxPort)
        {
            throw new CommandLineException($"{what} '{text}': '{port}' is not a port (0..65535)");
        }

        return (host, number);
    }
}
