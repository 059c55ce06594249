using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenSslTls.Module;
using OpenSslTls.SipEndpoint.Cli;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// The local admin channel of <c>serve</c>: a Unix domain socket (mode 0600, never bound with a looser one, and on
/// Linux open only to root and the server's own uid, checked with SO_PEERCRED) where each client sends one line —
/// <c>[json ]COMMAND [ARGUMENTS]</c> — and gets a status line (<c>ok</c> or <c>error</c>) and the reply, then the
/// connection closes.
/// </summary>
internal sealed class ControlServer : IAsyncDisposable
{
    private const int MaxLine = 1024;

    // getsockopt(SOL_SOCKET, SO_PEERCRED) on Linux: the connecting process's pid, uid and gid.
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    private static readonly Lazy<uint> s_ownUid = new(ReadOwnUid);

    private readonly Socket _listener;
    private readonly TlsModule _module;
    private readonly Func<IReadOnlyList<string>>? _reloadCheck;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    private ControlServer(Socket listener, string path, TlsModule module, ILogger logger, Func<IReadOnlyList<string>>? reloadCheck)
    {
        _reloadCheck = reloadCheck;
        _listener = listener;
        Path = path;
        _module = module;
        _logger = logger;
        _loop = AcceptLoopAsync();
    }

    /// <summary>The socket's file.</summary>
    public string Path { get; }

    /// <summary>
    /// Binds <paramref name="path"/> (replacing a stale socket file) with permissions 0600 and starts answering;
    /// <paramref name="reloadCheck"/> names what tls.reload must refuse (see <see cref="AdminCommands.Run"/>).
    /// </summary>
    public static ControlServer Start(string path, TlsModule module, ILogger logger, Func<IReadOnlyList<string>>? reloadCheck = null)
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
        string? staging = null;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                listener.Bind(new UnixDomainSocketEndPoint(full));
                listener.Listen(16);
            }
            else
            {
                // bind() creates the file with the process umask (often 0755 or 0777 for a socket): bound in place, it
                // would be reachable by every user until the chmod. So bind inside a fresh 0700 directory beside the
                // target, chmod there, listen, and only then rename the socket into place, already 0600.
                staging = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, $".ctl-{Environment.ProcessId}-{Random.Shared.Next():x}");
                Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                string staged = System.IO.Path.Combine(staging, "s");
                listener.Bind(new UnixDomainSocketEndPoint(staged));
                File.SetUnixFileMode(staged, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                listener.Listen(16);
                File.Move(staged, full);
            }
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        finally
        {
            if (staging is not null)
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        return new ControlServer(listener, full, module, logger, reloadCheck);
    }

    /// <summary>
    /// Whether the peer of <paramref name="client"/> may use the socket: on Linux its uid (SO_PEERCRED) must be root's
    /// or this process's effective uid, whatever the socket file's mode became. Elsewhere the file mode alone guards it.
    /// </summary>
    private bool PeerAllowed(Socket client)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }, in host byte order.
        Span<byte> credentials = stackalloc byte[12];
        int length = client.GetRawSocketOption(SolSocket, SoPeerCred, credentials);
        if (length < 12)
        {
            CommandLog.ControlRefused(_logger, "unknown", "unknown", s_ownUid.Value);
            return false;
        }

        int pid = BitConverter.ToInt32(credentials[..4]);
        uint uid = BitConverter.ToUInt32(credentials[4..8]);
        if (uid == 0 || uid == s_ownUid.Value)
        {
            return true;
        }

        CommandLog.ControlRefused(_logger, uid.ToString(CultureInfo.InvariantCulture), pid.ToString(CultureInfo.InvariantCulture), s_ownUid.Value);
        return false;
    }

    /// <summary>This process's effective uid, from the second field of the <c>Uid:</c> line of /proc/self/status.</summary>
    private static uint ReadOwnUid()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] ids = line[4..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return uint.Parse(ids[1], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no Uid line in /proc/self/status");
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
            if (!PeerAllowed(client))
            {
                return;
            }

            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(token);
                limit.CancelAfter(TimeSpan.FromSeconds(10));
                string? line = await ReadLineAsync(client, limit.Token).ConfigureAwait(false);
                // On the thread pool: this continuation may run on a socket epoll thread (SocketCompletions), and a
                // command such as tls.list over many connections takes seconds that those connections must not wait.
                string reply = line is null ? "error\nempty command\n" : await Task.Run(() => Execute(line), CancellationToken.None).ConfigureAwait(false);
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
        // [json ]COMMAND[ ARGUMENTS]: the arguments stay one text, so a cfg.set value may hold spaces (a path).
        string rest = line.Trim();
        bool json = rest.StartsWith("json ", StringComparison.Ordinal) || rest == "json";
        if (json)
        {
            rest = rest[4..].TrimStart();
        }

        int space = rest.IndexOf(' ', StringComparison.Ordinal);
        string command = space < 0 ? rest : rest[..space];
        string? arguments = space < 0 ? null : rest[(space + 1)..];
        if (command.Length == 0)
        {
            return "error\nexpected: [json ]COMMAND [ARGUMENTS]\n";
        }

        try
        {
            (bool ok, string reply) = AdminCommands.Run(_module, command, arguments, json, _reloadCheck);
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
