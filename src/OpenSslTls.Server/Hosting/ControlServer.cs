using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenSslTls.Module;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// The local admin channel of <c>serve</c>: a Unix domain socket (mode 0600) where each client sends one line —
/// <c>[json ]COMMAND [ARGUMENT]</c> — and gets a status line (<c>ok</c> or <c>error</c>) and the reply, then the
/// connection closes.
/// </summary>
internal sealed class ControlServer : IAsyncDisposable
{
    private const int MaxLine = 1024;

    private readonly Socket _listener;
    private readonly TlsModule _module;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    private ControlServer(Socket listener, string path, TlsModule module, ILogger logger)
    {
        _listener = listener;
        Path = path;
        _module = module;
        _logger = logger;
        _loop = AcceptLoopAsync();
    }

    /// <summary>The socket's file.</summary>
    public string Path { get; }

    /// <summary>Binds <paramref name="path"/> (replacing a stale socket file) with permissions 0600 and starts answering.</summary>
    public static ControlServer Start(string path, TlsModule module, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(logger);
        string full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full) && (File.GetAttributes(full) & FileAttributes.Directory) == 0)
        {
            if (IsAnswering(full))
            {
                throw new IOException("another openssltls serve answers on it");
            }

            File.Delete(full);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(full));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new ControlServer(listener, full, module, logger);
    }

    /// <summary>Whether a server listens on the socket file <paramref name="path"/> (else it is stale).</summary>
    private static bool IsAnswering(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind; the next start replaces it.
        }
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                ServerLogControl(e.Message);
                continue;
            }

            _ = AnswerAsync(client, token);
        }
    }

    private async Task AnswerAsync(Socket client, CancellationToken token)
    {
        using (client)
        {
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(token);
                limit.CancelAfter(TimeSpan.FromSeconds(10));
                string? line = await ReadLineAsync(client, limit.Token).ConfigureAwait(false);
                string reply = line is null ? "error\nempty command\n" : Execute(line);
                byte[] bytes = Encoding.UTF8.GetBytes(reply);
                int sent = 0;
                while (sent < bytes.Length)
                {
                    sent += await client.SendAsync(bytes.AsMemory(sent), SocketFlags.None, limit.Token).ConfigureAwait(false);
                }

                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                ServerLogControl(e.Message);
            }
#pragma warning disable CA1031 // An admin command's bug must not go unobserved nor take the server down; it is logged.
            catch (Exception e)
#pragma warning restore CA1031
            {
                ServerLogControl(e.ToString());
            }
        }
    }

    private string Execute(string line)
    {
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool json = words.Length > 0 && words[0] == "json";
        string[] command = json ? words[1..] : words;
        if (command.Length is 0 or > 2)
        {
            return "error\nexpected: [json ]COMMAND [ARGUMENT]\n";
        }

        try
        {
            (bool ok, string reply) = AdminCommands.Run(_module, command[0], command.Length > 1 ? command[1] : null, json);
            return (ok ? "ok\n" : "error\n") + reply + (reply.EndsWith('\n') ? string.Empty : "\n");
        }
        catch (ObjectDisposedException)
        {
            return "error\nthe server is stopping\n";
        }
    }

    private static async Task<string?> ReadLineAsync(Socket client, CancellationToken token)
    {
        var buffer = new byte[MaxLine];
        int length = 0;
        while (length < buffer.Length)
        {
            int count = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, token).ConfigureAwait(false);
            if (count == 0)
            {
                break;
            }

            int newline = Array.IndexOf(buffer, (byte)'\n', length, count);
            length += count;
            if (newline >= 0)
            {
                length = newline;
                break;
            }
        }

        string text = Encoding.UTF8.GetString(buffer, 0, length).TrimEnd('\r');
        return text.Length == 0 ? null : text;
    }

    private void ServerLogControl(string reason) => Cli.CommandLog.ControlFailed(_logger, reason);
}
