using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// The real <c>openssltls</c> program as a child process (the server project's output, copied beside the tests), with
/// stdout and stderr captured. Every wait is bounded and <see cref="Dispose"/> kills whatever is still running.
/// </summary>
internal sealed class EndpointProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private EndpointProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

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

    /// <summary>Starts <c>openssltls args…</c>.</summary>
    public static EndpointProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts <c>openssltls args…</c> with <paramref name="environment"/> added to this process's environment.</summary>
    public static EndpointProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(environment, DotnetHost, [ProgramPath, .. args]);

    private static EndpointProcess Start(IReadOnlyDictionary<string, string> environment, string program, string[] args)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        var child = new EndpointProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return child;
    }

    /// <summary>
    /// Starts <c>openssltls args…</c> through <c>bash -c 'ulimit -n LIMIT; exec …'</c>, so the program itself (same
    /// pid, exec'd) runs with at most <paramref name="descriptorLimit"/> open file descriptors.
    /// </summary>
    public static EndpointProcess StartWithDescriptorLimit(int descriptorLimit, params string[] args)
    {
        string limit = descriptorLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Start(new Dictionary<string, string>(), "bash", ["-c", $"ulimit -n {limit} && exec \"$0\" \"$@\"", DotnetHost, ProgramPath, .. args]);
    }

    /// <summary>
    /// The libfaketime library (Debian package libfaketime, which the faketime package brings), or null when it is not
    /// installed.
    /// </summary>
    public static string? FakeTimeLibrary =>
        Directory.Exists("/usr/lib")
            ? Directory.EnumerateDirectories("/usr/lib").Append("/usr/lib").Select(d => Path.Combine(d, "faketime", "libfaketime.so.1")).FirstOrDefault(File.Exists)
            : null;

    /// <summary>
    /// Starts <c>openssltls args…</c> with its wall clock moved by <paramref name="offset"/> (libfaketime's syntax,
    /// <c>+2h</c>, <c>-90m</c>) through LD_PRELOAD on the process itself (same pid, unlike the faketime wrapper, which
    /// forks); its monotonic clock is left alone, as .NET needs.
    /// </summary>
    public static EndpointProcess StartWithFakeTime(string offset, params string[] args) =>
        Start(
            new Dictionary<string, string>
            {
                ["LD_PRELOAD"] = FakeTimeLibrary ?? throw new InvalidOperationException("libfaketime is not installed"),
                ["FAKETIME"] = offset,
                ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
            },
            args);

    /// <summary>Runs <c>openssltls args…</c> to completion (killed after <paramref name="timeout"/>).</summary>
    public static (int ExitCode, string Output) Run(TimeSpan timeout, params string[] args)
    {
        using EndpointProcess child = Start(args);
        int exit = child.WaitForExit(timeout);
        return (exit, child.Output);
    }

    /// <summary>The first match of <paramref name="pattern"/> in the output, waiting up to <paramref name="timeout"/>; throws with the output otherwise.</summary>
    public async Task<Match> WaitForAsync(Regex pattern, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Match match = pattern.Match(Output);
            if (match.Success)
            {
                return match;
            }

            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new TimeoutException($"openssltls did not print /{pattern}/ (exited: {_process.HasExited}). Output:{Environment.NewLine}{Output}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Sends SIGTERM, as a service manager stopping the server would.</summary>
    public void Terminate()
    {
        using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"openssltls did not exit within {timeout.TotalSeconds} s. Output:{Environment.NewLine}{Output}");
        }

        _process.WaitForExit(); // Drains the asynchronous output readers.
        return _process.ExitCode;
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

    private static string ProgramPath => Path.Combine(AppContext.BaseDirectory, "OpenSslTls.Server.dll");

    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
        }
    }
}
