using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace OpenSslTls.Tests.Infrastructure;

/// <summary>
/// An <c>openssl s_server</c> or <c>openssl s_client</c> child process for interop tests.
/// stdout and stderr are captured continuously (<see cref="Output"/> interleaves them in arrival order);
/// stdin stays open until <see cref="CloseInput"/> or <see cref="Dispose"/>.
/// <para>
/// Nothing here can hang a test: every wait is bounded, <see cref="Dispose"/> always kills the process
/// tree, a process still running after <see cref="MaxLifetime"/> is killed by a watchdog, and any
/// process left running when the test process exits is killed then.
/// </para>
/// <para>
/// stdin matters to both tools (OpenSSL 3.0):
/// <list type="bullet">
/// <item>s_client quits (close_notify, "DONE" on stderr) when stdin reaches EOF, unless <c>-ign_eof</c>
/// (or <c>-quiet</c>, which implies it) is given. This class keeps stdin open, so s_client stays connected
/// until <see cref="CloseInput"/>. A line written to s_client is sent to the server, except that, without
/// <c>-ign_eof</c>/<c>-quiet</c>/<c>-nocommands</c>, a line starting with "Q" quits, "R" renegotiates
/// (TLS 1.2 and older) and "k"/"K" sends a TLS 1.3 KeyUpdate (K: requesting one back).</item>
/// <item>s_server only reads stdin while a connection is up; a line is sent to the client, except that
/// "q" ends the connection, "Q" (or EOF) shuts the whole server down,
/// "r"/"R" renegotiate (R: also requesting a client certificate), "k"/"K" key update, "c" requests a
/// post-handshake client certificate (TLS 1.3), "P" writes plaintext to the socket and "S" prints statistics.</item>
/// </list>
/// </para>
/// </summary>
public sealed partial class OpenSslProcess : IDisposable
{
    /// <summary>Default bound for <see cref="WaitForOutput(string, TimeSpan)"/>-style waits that take no timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long s_server gets to print its "ACCEPT" line.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A child still running this long after its start is killed, whatever the test is doing.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(2);

    private static readonly ConcurrentDictionary<OpenSslProcess, byte> s_live = new();

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Thread _stdoutReader;
    private readonly Thread _stderrReader;
    private readonly Timer _watchdog;
    private int _openStreams = 2;
    private int _disposed;

    static OpenSslProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (OpenSslProcess process in s_live.Keys)
            {
                process.Dispose();
            }
        };
    }

    private OpenSslProcess(IReadOnlyList<string> args, string? workingDirectory)
    {
        CommandLine = OpenSslCli.FormatCommandLine(args);
        _process = new Process { StartInfo = OpenSslCli.CreateStartInfo(args, workingDirectory, redirectStandardInput: true) };
        try
        {
            _process.Start();
        }
        catch (Win32Exception ex)
        {
            _process.Dispose();
            throw new InvalidOperationException($"Could not start '{OpenSslCli.Executable}': {ex.Message}", ex);
        }

        s_live.TryAdd(this, 0);
        _process.StandardInput.AutoFlush = true;
        _stdoutReader = StartReader(_process.StandardOutput, _stdout, "stdout");
        _stderrReader = StartReader(_process.StandardError, _stderr, "stderr");
        _watchdog = new Timer(_ => KillNow(), null, MaxLifetime, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The command line, for messages.</summary>
    public string CommandLine { get; }

    /// <summary>s_server: the port it accepts on (read from its "ACCEPT host:port" line). s_client: the port it connects to.</summary>
    public int Port { get; private set; }

    public int ProcessId => _process.Id;

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>Everything captured so far from stdout and stderr, interleaved in arrival order.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>A free TCP port on 127.0.0.1 at the time of the call (another process may take it before you bind it).</summary>
    public static int GetFreeTcpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Starts <c>openssl s_server -accept 127.0.0.1:0 args...</c> and returns once it prints "ACCEPT";
    /// <see cref="Port"/> is the port the OS picked (s_server prints it), so there is no race for a free port.
    /// Pass your own <c>-accept</c> (e.g. <c>"[::1]:0"</c>) to listen elsewhere. <c>-quiet</c> and <c>-brief</c>
    /// (which implies -quiet in s_server) are refused: they suppress the "ACCEPT" line. Typical args: <c>-cert</c>, <c>-key</c>, <c>-naccept 1</c>, <c>-tls1_3</c>,
    /// <c>-Verify 1 -CAfile root.pem</c>.
    /// </summary>
    public static OpenSslProcess StartServer(params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Contains("-quiet", StringComparer.Ordinal) || args.Contains("-brief", StringComparer.Ordinal))
        {
            // OpenSSL 3.0: -brief implies -quiet for s_server, and -quiet silences stdout, ACCEPT line included.
            throw new ArgumentException(
                "s_server -quiet and -brief suppress the ACCEPT line that StartServer waits for (and s_server's stdin commands).", nameof(args));
        }

        string[] fullArgs = args.Contains("-accept", StringComparer.Ordinal) || args.Contains("-port", StringComparer.Ordinal)
            ? ["s_server", .. args]
            : ["s_server", "-accept", "127.0.0.1:0", .. args];

        var server = new OpenSslProcess(fullArgs, workingDirectory: null);
        try
        {
            // "ACCEPT 127.0.0.1:41945" or "ACCEPT [::1]:41945", waited for up to its newline so the port is complete.
            Match match = Match.Empty;
            if (!server.WaitUntil(output => (match = AcceptLine().Match(output)).Success, StartTimeout))
            {
                throw new InvalidOperationException(
                    $"'{server.CommandLine}' did not print its ACCEPT line within {StartTimeout.TotalSeconds:0.#} s " +
                    $"(exited: {server.HasExited}). Output:{Environment.NewLine}{server.Output}");
            }

            server.Port = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts <c>openssl s_client -connect 127.0.0.1:port args...</c> and returns at once; wait for what you
    /// expect with <see cref="WaitForOutput(string, TimeSpan)"/> or <see cref="WaitForExit"/>. Pass your own
    /// <c>-connect</c> to connect elsewhere. Note s_client sends SNI only for a dotted host name, never for
    /// 127.0.0.1 or "localhost": pass <c>-servername</c> to send one.
    /// </summary>
    public static OpenSslProcess StartClient(int port, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        string[] fullArgs = args.Contains("-connect", StringComparer.Ordinal)
            ? ["s_client", .. args]
            : ["s_client", "-connect", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), .. args];
        return new OpenSslProcess(fullArgs, workingDirectory: null) { Port = port };
    }

    /// <summary>True once <paramref name="text"/> is in <see cref="Output"/>; false on timeout or when the process has exited without printing it.</summary>
    public bool WaitForOutput(string text, TimeSpan timeout) => WaitForOutput(text, 0, timeout);

    /// <summary>As <see cref="WaitForOutput(string, TimeSpan)"/>, looking only from <paramref name="startIndex"/> of <see cref="Output"/> on (e.g. from the length before you sent something).</summary>
    public bool WaitForOutput(string text, int startIndex, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        ArgumentOutOfRangeException.ThrowIfNegative(startIndex);
        return WaitUntil(
            output => startIndex < output.Length && output.IndexOf(text, startIndex, StringComparison.Ordinal) >= 0,
            timeout);
    }

    /// <summary>True once <paramref name="condition"/> holds for <see cref="Output"/>; false on timeout or when both streams have ended without it.</summary>
    public bool WaitUntil(Func<string, bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var stopwatch = Stopwatch.StartNew();
        lock (_gate)
        {
            while (true)
            {
                if (condition(_output.ToString()))
                {
                    return true;
                }

                if (_openStreams == 0)
                {
                    return false; // Both streams are at EOF: nothing more will come.
                }

                TimeSpan remaining = timeout - stopwatch.Elapsed;
                if (remaining <= TimeSpan.Zero)
                {
                    return false;
                }

                Monitor.Wait(_gate, remaining);
            }
        }
    }

    /// <summary>Waits for <paramref name="text"/> and throws, with the whole output, if it does not come.</summary>
    public void ExpectOutput(string text, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? DefaultTimeout;
        if (!WaitForOutput(text, limit))
        {
            throw new TimeoutException(
                $"'{CommandLine}' did not print \"{text}\" within {limit.TotalSeconds:0.#} s (exited: {HasExited}). " +
                $"Output:{Environment.NewLine}{Output}");
        }
    }

    /// <summary>Writes <paramref name="line"/> and "\n" to stdin. See the class remarks for lines the tools take as commands.</summary>
    public void WriteLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        WriteInput(() => _process.StandardInput.Write(line + "\n"));
    }

    /// <summary>Writes raw bytes to stdin.</summary>
    public void Write(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        WriteInput(() =>
        {
            Stream stdin = _process.StandardInput.BaseStream;
            stdin.Write(data);
            stdin.Flush();
        });
    }

    /// <summary>Closes stdin: s_client then says goodbye and exits (unless -ign_eof); s_server shuts down once it reads the EOF.</summary>
    public void CloseInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process is gone and the pipe is broken; closed is closed.
        }
    }

    /// <summary>Waits for the process to exit and its output to be fully captured; returns the exit code. Throws <see cref="TimeoutException"/> (with the output) if it is still running.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException(
                $"'{CommandLine}' did not exit within {timeout.TotalSeconds:0.#} s. Output:{Environment.NewLine}{Output}");
        }

        JoinReaders(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    /// <summary>Kills the process tree (if still running), waits for it and releases everything. Safe to call twice.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        s_live.TryRemove(this, out _);
        _watchdog.Dispose();
        OpenSslCli.KillQuietly(_process);
        JoinReaders(TimeSpan.FromSeconds(5));
        try
        {
            _process.StandardInput.Dispose();
        }
        catch (IOException)
        {
            // Broken pipe on the final flush: the process is gone anyway.
        }

        _process.Dispose();
    }

    public override string ToString() => CommandLine;

    private void KillNow()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            OpenSslCli.KillQuietly(_process);
        }
    }

    private void WriteInput(Action write)
    {
        try
        {
            write();
        }
        catch (IOException ex)
        {
            throw new IOException(
                $"Could not write to the stdin of '{CommandLine}' (exited: {HasExited}). Output:{Environment.NewLine}{Output}", ex);
        }
    }

    private Thread StartReader(StreamReader reader, StringBuilder own, string name)
    {
        // A dedicated blocking thread per stream: Read returns as soon as any data arrives, so partial
        // lines (prompts, echoed data without newline) show up at once, and no thread-pool thread is held.
        var thread = new Thread(() =>
        {
            char[] buffer = new char[4096];
            try
            {
                int read;
                while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
                {
                    lock (_gate)
                    {
                        own.Append(buffer, 0, read);
                        _output.Append(buffer, 0, read);
                        Monitor.PulseAll(_gate);
                    }
                }
            }
            catch (IOException)
            {
                // Pipe torn down while killing the process.
            }
            catch (ObjectDisposedException)
            {
                // Disposed while reading.
            }
            finally
            {
                lock (_gate)
                {
                    _openStreams--;
                    Monitor.PulseAll(_gate);
                }
            }
        })
        {
            IsBackground = true,
            Name = $"openssl {name} reader",
        };
        thread.Start();
        return thread;
    }

    private void JoinReaders(TimeSpan timeout)
    {
        _stdoutReader.Join(timeout);
        _stderrReader.Join(timeout);
    }

    [GeneratedRegex(@"^ACCEPT .*:(\d+)\r?\n", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex AcceptLine();
}
