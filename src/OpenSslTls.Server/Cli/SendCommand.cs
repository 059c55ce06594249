using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.SipEndpoint.Sip;
using OpenSslTls.Configuration;
using OpenSslTls.Errors;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>
/// <c>openssltls send</c>: the client side. Opens one TLS connection, prints its TLS facts, sends OPTIONS <c>--count</c>
/// times (each after the previous reply) and prints every reply. Succeeds when every reply is 2xx.
/// </summary>
internal static class SendCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        SendSettings settings;
        try
        {
            settings = SendSettings.Parse(args);
        }
        catch (CommandLineException e)
        {
            await errors.WriteLineAsync($"openssltls send: {e.Message} {UsageText.Hint("send")}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            return await SendAsync(settings, output, stop).ConfigureAwait(false);
        }
        catch (CommandLineException e)
        {
            // An option the loaded configuration contradicts (--server-id naming no profile).
            await errors.WriteLineAsync($"openssltls send: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (TlsConfigurationException e)
        {
            await errors.WriteLineAsync("openssltls send: configuration errors:" + Environment.NewLine + string.Join(Environment.NewLine, e.Errors)).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (TlsProfileSetException e)
        {
            foreach (string line in ErrorText.Lines(e))
            {
                await errors.WriteLineAsync("openssltls send: " + line).ConfigureAwait(false);
            }

            return ExitCodes.Failure;
        }
        catch (SocketException e)
        {
            await errors.WriteLineAsync($"openssltls send: {Target(settings)}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is SipClientException or OpenSslException or OpenSslVersionException or DllNotFoundException or TlsEngineException or TlsLowMemoryException or IOException)
        {
            await errors.WriteLineAsync($"openssltls send: {ErrorText.Short(e)}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            await errors.WriteLineAsync($"openssltls send: no answer from {Target(settings)} within {settings.Timeout.TotalSeconds} s").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            await errors.WriteLineAsync("openssltls send: interrupted").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> SendAsync(SendSettings settings, TextWriter output, CancellationToken stop)
    {
        bool isAddress = IPAddress.TryParse(settings.Host, out IPAddress? address);
        EndPoint endpoint = isAddress ? new IPEndPoint(address!, settings.Port) : new DnsEndPoint(settings.Host, settings.Port);

        // Like s_client, send the host as SNI only when it is a name; an IP address is not a valid SNI (RFC 6066 §3).
        TlsClientOverride overrides = settings.Override;
        var events = new List<string>();
        void Collect(string line)
        {
            lock (events)
            {
                events.Add(line);
            }
        }

        // Client-only: a --tls-cfg without [server:default] must not need the built-in server default's cert.pem.
        // The built-in event_callback handlers print their line with the other events.
        using TlsModule module = TlsModule.Create(BuildOptions(settings), TlsEventCallbacks.Register(new TlsModuleHostOptions { ClientOnly = true }, Collect));
        void OnOutbound(object? sender, TlsConnectionEventArgs e) =>
            Collect($"event {e.EventName}: connection {e.Connection.Id}, profile {e.Connection.Profile.Label}");

        void OnFailed(object? sender, TlsConnectionEventArgs e) => Collect($"event {e.EventName}: {e.Error?.Message}");

        // Kamailio falls back to the address match for a server_id no profile has; a command line asking for one by
        // name means that profile, so a typo is an error here rather than a connection on another profile.
        if (overrides.ServerId is { } serverId
            && !module.Profiles.Profiles.Any(p => p.Role == TlsRole.Client && string.Equals(p.Settings.ServerId, serverId, StringComparison.OrdinalIgnoreCase)))
        {
            string known = string.Join(", ", module.Profiles.Profiles.Where(p => p.Role == TlsRole.Client && !string.IsNullOrEmpty(p.Settings.ServerId))
                .Select(p => $"{p.Settings.ServerId} ({p.Label})"));
            throw new CommandLineException($"--server-id '{serverId}': no [client:...] profile has this server_id ({(known.Length == 0 ? "none has one" : "there are: " + known)})");
        }

        module.OutboundConnectionEstablished += OnOutbound;
        module.HandshakeFailed += OnFailed;
        SipTlsClient client;
        try
        {
            using var connectLimit = CancellationTokenSource.CreateLinkedTokenSource(stop);
            connectLimit.CancelAfter(settings.Timeout);
            client = await SipTlsClient.ConnectAsync(endpoint, remote => module.OpenConnection(remote, overrides), connectLimit.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            // The socket's own text ("Connection refused") does not say which address was tried.
            throw new SipClientException($"cannot connect to {Target(settings)}: {e.Message}", e);
        }
        finally
        {
            string[] lines;
            lock (events)
            {
                lines = [.. events];
                events.Clear();
            }

            foreach (string line in lines)
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        await using (client.ConfigureAwait(false))
        {
            await output.WriteLineAsync($"connected to {client.RemoteEndPoint} from {client.LocalEndPoint}").ConfigureAwait(false);
            await output.WriteLineAsync($"tls: {TlsFactsText.Format(client.Info)}").ConfigureAwait(false);
            await output.WriteLineAsync($"client profile: {client.Profile.Label}").ConfigureAwait(false);
            if (client.Info.PeerCertificate is { } peer)
            {
                await output.WriteLineAsync($"server certificate: subject {peer.Subject.Line}, issuer {peer.Issuer.Line}, valid until {peer.NotAfterText}").ConfigureAwait(false);
            }

            var requests = new OptionsRequestBuilder(settings.Host, settings.Port, client.LocalEndPoint);
            int successes = 0;
            for (int sequence = 1; sequence <= settings.Count; sequence++)
            {
                using var replyLimit = CancellationTokenSource.CreateLinkedTokenSource(stop);
                replyLimit.CancelAfter(settings.Timeout);
                await client.SendAsync(requests.Build(sequence), replyLimit.Token).ConfigureAwait(false);
                SipReceivedFrame? reply = await ReadReplyAsync(client, replyLimit.Token).ConfigureAwait(false);
                if (reply is null)
                {
                    await output.WriteLineAsync($"--- OPTIONS {sequence}/{settings.Count}: the server closed the connection").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }

                string statusLine = reply.Text[..Math.Max(0, reply.Text.IndexOf("\r\n", StringComparison.Ordinal))];
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"--- OPTIONS {sequence}/{settings.Count}: {statusLine}")).ConfigureAwait(false);
                await output.WriteAsync(reply.Text.ReplaceLineEndings(Environment.NewLine)).ConfigureAwait(false);
                if (statusLine.StartsWith("SIP/2.0 2", StringComparison.Ordinal))
                {
                    successes++;
                }
            }

            using var closeLimit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.CloseAsync(closeLimit.Token).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{successes} of {settings.Count} OPTIONS answered with 2xx")).ConfigureAwait(false);
            return successes == settings.Count ? ExitCodes.Success : ExitCodes.Failure;
        }
    }

    /// <summary>The module options of <c>send</c>: the configuration files, else a client that presents no certificate; then the command-line options.</summary>
    internal static TlsModuleOptions BuildOptions(SendSettings settings)
    {
        var options = new TlsModuleOptions { SendCloseNotify = true };
        if (settings.Sources.IsEmpty || !settings.Sources.HasModuleParameters)
        {
            options.Certificate = null;
        }

        settings.Sources.ApplyTo(options);
        if (settings.Certificate is not null && settings.PrivateKey is not null)
        {
            options.Certificate = Path.GetFullPath(settings.Certificate);
            options.PrivateKey = Path.GetFullPath(settings.PrivateKey);
        }

        if (settings.CaList is not null)
        {
            options.CaList = Path.GetFullPath(settings.CaList);
        }

        if (settings.Groups is not null)
        {
            options.Groups = settings.Groups;
        }

        if (settings.Verify)
        {
            options.VerifyCertificate = true;
            options.RequireCertificate = true;
        }

        return options;
    }

    /// <summary>HOST:PORT as given, with an IPv6 address in brackets.</summary>
    private static string Target(SendSettings settings) =>
        IPAddress.TryParse(settings.Host, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{settings.Host}]:{settings.Port}")
            : string.Create(CultureInfo.InvariantCulture, $"{settings.Host}:{settings.Port}");

    /// <summary>The next message, skipping keep-alive pongs; null when the server closed.</summary>
    private static async Task<SipReceivedFrame?> ReadReplyAsync(SipTlsClient client, CancellationToken cancellation)
    {
        while (await client.ReadFrameAsync(cancellation).ConfigureAwait(false) is { } frame)
        {
            if (frame.Kind == SipFrameKind.Message)
            {
                return frame;
            }
        }

        return null;
    }
}
