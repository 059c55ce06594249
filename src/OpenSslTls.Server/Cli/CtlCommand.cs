using System.Net.Sockets;
using System.Text;
using OpenSslTls.SipEndpoint.Certificates;
using OpenSslTls.SipEndpoint.Hosting;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>
/// <c>openssltls ctl COMMAND [ARGUMENTS] [--socket PATH] [--json]</c>: sends one admin command to a running <c>serve</c> over
/// its control socket and prints the reply. Exit code 0 when the server answered ok.
/// </summary>
internal static class CtlCommand
{
    private static readonly string[] s_valueOptions = ["--socket", "--data-dir"];

    private static readonly string[] s_flags = ["--json"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        string path;
        string line;
        try
        {
            var parsed = CommandLineArguments.Parse(args, s_valueOptions, s_flags);
            if (parsed.Positionals.Count == 0)
            {
                throw new CommandLineException($"which command? one of {string.Join(", ", AdminCommands.Names)}");
            }

            string command = parsed.Positionals[0];
            if (!AdminCommands.Names.Contains(command))
            {
                throw new CommandLineException($"unknown command '{command}': use {string.Join(", ", AdminCommands.Names)}");
            }

            if (ArgumentProblem(command, parsed.Positionals.Count - 1) is { } problem)
            {
                throw new CommandLineException(problem);
            }

            path = parsed.Single("--socket")
                ?? Path.Combine(Path.GetFullPath(parsed.Single("--data-dir") ?? DataDirectory.ResolveDefault(Environment.GetEnvironmentVariable)), "control.sock");
            line = (parsed.Has("--json") ? "json " : string.Empty) + string.Join(' ', parsed.Positionals) + "\n";
        }
        catch (CommandLineException e)
        {
            await errors.WriteLineAsync($"openssltls ctl: {e.Message} {UsageText.Hint("ctl")}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
            limit.CancelAfter(TimeSpan.FromSeconds(30));
            string reply = await ExchangeAsync(path, line, limit.Token).ConfigureAwait(false);
            int newline = reply.IndexOf('\n', StringComparison.Ordinal);
            string status = newline < 0 ? reply : reply[..newline];
            string body = newline < 0 ? string.Empty : reply[(newline + 1)..];
            if (status == "ok")
            {
                await output.WriteAsync(body.ReplaceLineEndings(Environment.NewLine)).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await errors.WriteAsync(("openssltls ctl: " + body).ReplaceLineEndings(Environment.NewLine)).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused or SocketError.AccessDenied || !File.Exists(path))
        {
            // A missing socket file reads "Cannot assign requested address", a stale one "Connection refused": both mean no serve.
            string reason = e.SocketErrorCode == SocketError.AccessDenied
                ? "permission denied (the socket is the serving user's, mode 0600)"
                : "no server listens on this socket path (is openssltls serve running? its socket is DATA-DIR/control.sock or --control-socket)";
            await errors.WriteLineAsync($"openssltls ctl: cannot talk to the server at {path}: {reason}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            await errors.WriteLineAsync($"openssltls ctl: cannot talk to the server at {path}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    /// <summary>What is wrong with giving <paramref name="count"/> arguments to <paramref name="command"/>, or null.</summary>
    private static string? ArgumentProblem(string command, int count) => command switch
    {
        "tls.kill" when count != 1 => count == 0 ? "tls.kill needs a connection id (see tls.list)" : "tls.kill takes one connection id",
        "cfg.get" when count is < 1 or > 2 => "cfg.get takes a group and optionally a variable: cfg.get tls [NAME]",
        _ when AdminCommands.SetNames.Contains(command) && count < 3 => $"{command} takes a group, a variable and a value: {command} tls NAME VALUE",
        _ when command.StartsWith("tls.", StringComparison.Ordinal) && command != "tls.kill" && count > 0 => $"{command} takes no argument",
        _ => null,
    };

    /// <summary>Sends <paramref name="line"/> to the control socket at <paramref name="path"/> and returns everything it answers.</summary>
    internal static async Task<string> ExchangeAsync(string path, string line, CancellationToken cancellation)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation).ConfigureAwait(false);
        byte[] request = Encoding.UTF8.GetBytes(line);
        int sent = 0;
        while (sent < request.Length)
        {
            sent += await socket.SendAsync(request.AsMemory(sent), SocketFlags.None, cancellation).ConfigureAwait(false);
        }

        using var reply = new MemoryStream();
        var buffer = new byte[8192];
        int count;
        while ((count = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation).ConfigureAwait(false)) > 0)
        {
            reply.Write(buffer, 0, count);
        }

        return Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length);
    }
}
