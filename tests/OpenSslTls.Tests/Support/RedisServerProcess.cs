using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// A real <c>redis-server</c> (Debian's package) on a loopback port, without persistence, for the tests' lifetime;
/// it can be stopped and started again on the same port to show a store that recovers by itself.
/// </summary>
public sealed class RedisServerProcess : IDisposable
{
    private Process? _process;

    private RedisServerProcess(int port)
    {
        Port = port;
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>StackExchange.Redis configuration for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>The path of redis-server, or skip/fail (see <see cref="Prerequisites"/>).</summary>
    public static string Executable()
    {
        string? path = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);
        Prerequisites.Require(path is not null, "redis-server is not installed (Debian package redis-server)");
        return path!;
    }

    /// <summary>A free loopback port with nothing listening (for a server that starts later, or never).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts a server on <paramref name="port"/> (a free one when 0) and waits until it answers PING.</summary>
    public static RedisServerProcess Start(int port = 0)
    {
        var server = new RedisServerProcess(port == 0 ? FreePort() : port);
        server.Start();
        return server;
    }

    /// <summary>Starts (again) on the same port.</summary>
    public void Start()
    {
        string executable = Executable();
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            info.ArgumentList.Add(argument);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} on port {Port}");
            }

            if (Ping())
            {
                return;
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"redis-server on port {Port} did not answer PING within 15 s");
    }

    /// <summary>
    /// Waits (at most 30 s) until at least <paramref name="count"/> keys match <paramref name="pattern"/>: nodes send
    /// their stores without waiting for Redis, so a test that reads them from another node waits for them here rather
    /// than for a fixed time a loaded machine may not keep.
    /// </summary>
    public async Task WaitForKeysAsync(string pattern, int count = 1)
    {
        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(Configuration + ",allowAdmin=true");
        var deadline = Stopwatch.StartNew();
        int found = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            RedisResult result = await admin.GetDatabase().ExecuteAsync("KEYS", pattern);
            found = ((RedisResult[])result!).Length;
            if (found >= count)
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{found} keys matching '{pattern}' in Redis on port {Port} after 30 s, expected {count}");
    }

    /// <summary>Kills the server (as a crash would) and waits for it to exit.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <inheritdoc />
    public void Dispose() => Stop();

    private bool Ping()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            NetworkStream stream = client.GetStream();
            stream.ReadTimeout = 1000;
            stream.Write("PING\r\n"u8);
            var answer = new byte[7];
            int read = stream.Read(answer);
            return read >= 5 && answer.AsSpan(0, 5).SequenceEqual("+PONG"u8);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
