using System.Net.Sockets;
using System.Text;

namespace OpenSslTls.SocketBench.Idle;

/// <summary>
/// One request over serve's control socket, as <c>openssltls ctl</c> sends it (a line <c>COMMAND</c>, then the status
/// line <c>ok</c>/<c>error</c> and the reply until the server closes), without starting a ctl process per question.
/// </summary>
internal static class ServeControl
{
    public static async Task<string> RequestAsync(string socketPath, string command, CancellationToken cancellation)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellation).ConfigureAwait(false);
        await socket.SendAsync(Encoding.UTF8.GetBytes(command + "\n"), SocketFlags.None, cancellation).ConfigureAwait(false);
        using var reply = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int count;
        while ((count = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation).ConfigureAwait(false)) > 0)
        {
            reply.Write(buffer, 0, count);
        }

        string text = Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length);
        return text.StartsWith("ok\n", StringComparison.Ordinal)
            ? text["ok\n".Length..]
            : throw new InvalidOperationException($"serve answered '{command}' with: {text}");
    }

    /// <summary>The value of <c>key: value</c> line <paramref name="key"/> of a reply.</summary>
    public static long Field(string reply, string key)
    {
        foreach (string line in reply.Split('\n'))
        {
            if (line.StartsWith(key + ": ", StringComparison.Ordinal))
            {
                return long.Parse(line[(key.Length + 2)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no '{key}' in: {reply}");
    }
}
