using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.SipEndpoint.Hosting;

namespace OpenSslTls.SocketBench.Servers;

/// <summary>
/// One server in its own child process on 127.0.0.1, port 0. A child rather than in-process, so the server's CPU time
/// can be read on its own from /proc while the load generator burns CPU in this process. OpenSslTls is
/// <c>openssltls serve</c> exactly as shipped (OpenSslTls.Server.dll, copied beside this program by the project
/// reference); SslStream is this program's <c>--sslstream-server</c> mode. Both run on the same runtime with the same GC
/// settings. Stopped with SIGTERM (serve's graceful stop), killed if that takes too long.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private const int OutputLinesKept = 40;

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly Lock _gate = new();

    private ServerProcess(ServerKind kind, Process process)
    {
        Kind = kind;
        _process = process;
    }

    public ServerKind Kind { get; }

    public int Pid => _process.Id;

    /// <summary>CPUs every server is started on (<c>taskset -c</c> list, from <c>--server-cpus</c>), or null for the bench's own.</summary>
    public static string? Cpus { get; set; }

    public IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The child's last lines of output, for error messages.</summary>
    public string OutputTail
    {
        get
        {
            lock (_gate)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Starts the server and waits until it listens; throws with its output when it exits or does not listen within <paramref name="timeout"/>.</summary>
    public static Task<ServerProcess> StartAsync(ServerKind kind, BenchTlsVersion version, BenchPki pki, string workDirectory, TimeSpan timeout) =>
        StartAsync(kind, DotnetHost(), Arguments(kind, version, pki, workDirectory), workDirectory, timeout);

    /// <summary>
    /// Starts the dotnet host with <paramref name="arguments"/> (a program and its arguments, as <see cref="ServeArguments"/>
    /// or <see cref="SslStreamArguments"/> begin them) and waits until it listens on loopback.
    /// </summary>
    public static Task<ServerProcess> StartAsync(ServerKind kind, IEnumerable<string> arguments, string workDirectory, TimeSpan timeout) =>
        StartAsync(kind, DotnetHost(), arguments, workDirectory, timeout);

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/> as server <paramref name="kind"/> and waits until it listens on 127.0.0.1.</summary>
    public static async Task<ServerProcess> StartAsync(
        ServerKind kind, string program, IEnumerable<string> arguments, string workDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (Cpus is { } cpus)
        {
            // taskset execs the server, so the process id (and /proc's CPU figures) stay the server's own.
            arguments = ["-c", cpus, program, .. arguments];
            program = "taskset";
        }

        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDirectory,
        };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var server = new ServerProcess(kind, process);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        try
        {
            var waited = Stopwatch.StartNew();
            int? port;
            while ((port = ProcFs.ListeningLoopbackPort(process.Id)) is null)
            {
                if (process.HasExited || waited.Elapsed > timeout)
                {
                    throw new InvalidOperationException(
                        $"{kind} server did not start listening (exited: {process.HasExited}). Output:{Environment.NewLine}{server.OutputTail}");
                }

                await Task.Delay(20).ConfigureAwait(false);
            }

            server.Endpoint = new IPEndPoint(IPAddress.Loopback, port.Value);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The first arguments of serve's command line: its assembly and <c>serve</c>.</summary>
    public static IEnumerable<string> ServeArguments() => [ProgramAssembly(typeof(SipTlsServer)), "serve"];

    /// <summary>The first arguments of the SslStream server's command line: this program and its internal mode.</summary>
    public static IEnumerable<string> SslStreamArguments() => [ProgramAssembly(typeof(ServerProcess)), Program.SslStreamServerArgument];

    /// <summary>Signals the child (e.g. SIGUSR1, which the SslStream server answers with its managed heap on stdout).</summary>
    public bool Signal(int signal) => Libc.Signal(_process.Id, signal);

    /// <summary>CPU seconds the child has used so far (all its threads).</summary>
    public double CpuSeconds() => ProcFs.CpuSeconds(_process.Id);

    /// <summary>SIGTERM, then up to <paramref name="timeout"/> for a clean exit; the exit code, or null when it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }

        Libc.Signal(_process.Id, Libc.SigTerm);
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Dispose();
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private static IEnumerable<string> Arguments(ServerKind kind, BenchTlsVersion version, BenchPki pki, string workDirectory)
    {
        if (kind == ServerKind.SslStream)
        {
            return [.. SslStreamArguments(), pki.Directory, TlsPinning.Argument(version)];
        }

        // Protocol and suite through a modparam file, as a Kamailio operator would set them; the certificate on the command
        // line. Warning level: information would log a line per connection, which the SslStream loop does not do.
        string modparams = Path.Combine(workDirectory, $"serve-{TlsPinning.Id(version)}.modparams");
        File.WriteAllText(modparams, TlsPinning.Modparams(version));
        return
        [
            .. ServeArguments(),
            "--listen", "127.0.0.1:0",
            "--certificate", pki.Certificate(Benchmarks.ServerKey.P256),
            "--private-key", pki.PrivateKey(Benchmarks.ServerKey.P256),
            "--modparams", modparams,
            "--data-dir", Path.Combine(workDirectory, "serve-data"),
            "--control-socket", Path.Combine(workDirectory, $"serve-{TlsPinning.Id(version)}.sock"),
            "--log-level", "warning",

            // Every load connection comes from 127.0.0.1, like no real client population; SslStream's server has no such limit.
            "--max-connections-per-address", "0",
        ];
    }

    /// <summary>The path of the assembly holding <paramref name="type"/> (serve's dll, this program's dll).</summary>
    public static string ProgramAssembly(Type type) => type.Assembly.Location is { Length: > 0 } location
        ? location
        : throw new InvalidOperationException($"{type.Assembly.GetName().Name} has no file (single-file publish is not supported)");

    /// <summary>The dotnet host running this process: the CLI's DOTNET_HOST_PATH, else the one above the runtime directory, else PATH's.</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        // RuntimeEnvironment's directory is DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION/.
        string beside = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return File.Exists(beside) ? beside : "dotnet";
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLinesKept)
            {
                _output.Dequeue();
            }
        }
    }
}
