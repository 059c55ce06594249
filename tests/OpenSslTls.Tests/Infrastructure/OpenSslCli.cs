using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OpenSslTls.Tests.Infrastructure;

/// <summary>The outcome of one finished <c>openssl</c> command.</summary>
public sealed record OpenSslCliResult(IReadOnlyList<string> Arguments, int ExitCode, string StandardOutput, string StandardError)
{
    public string CommandLine => OpenSslCli.FormatCommandLine(Arguments);
}

/// <summary>
/// Runs the <c>openssl</c> command-line tool to completion, with a timeout.
/// The executable is <c>openssl</c> from PATH unless the environment variable
/// <c>OPENSSL_CLI</c> names another one. Standard input is closed at once, so a
/// command that would wait for input fails instead of hanging; pass secrets with
/// <c>-passin</c>/<c>-passout</c>.
/// </summary>
public static class OpenSslCli
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly Lazy<string?> s_version = new(ProbeVersion, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The executable that is started: <c>$OPENSSL_CLI</c> or <c>openssl</c>.</summary>
    public static string Executable
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable("OPENSSL_CLI");
            return string.IsNullOrWhiteSpace(configured) ? "openssl" : configured;
        }
    }

    /// <summary>True when the tool can be started (for <c>Skip.IfNot(OpenSslCli.IsAvailable, ...)</c>).</summary>
    public static bool IsAvailable => s_version.Value is not null;

    /// <summary>The first line of <c>openssl version</c>, or null when the tool cannot be run.</summary>
    public static string? Version => s_version.Value;

    /// <summary>Runs <c>openssl args...</c>; returns whatever the exit code. Throws only on timeout or when the tool cannot be started.</summary>
    public static OpenSslCliResult Run(IReadOnlyList<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        TimeSpan limit = timeout ?? DefaultTimeout;

        using var process = new Process { StartInfo = CreateStartInfo(args, workingDirectory, redirectStandardInput: true) };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Could not start '{Executable}' (is the OpenSSL command-line tool installed and on PATH?): {ex.Message}", ex);
        }

        process.StandardInput.Close();

        // Blocking reads on dedicated threads: async reads would need free thread-pool threads, and
        // parallel tests that block on them starve the pool (each command then stalls for ~1 s).
        Task<string> stdout = ReadToEndOnOwnThread(process.StandardOutput);
        Task<string> stderr = ReadToEndOnOwnThread(process.StandardError);

        if (!process.WaitForExit(limit))
        {
            KillQuietly(process);
            stderr.Wait(TimeSpan.FromSeconds(1));
            throw new TimeoutException(
                $"'{FormatCommandLine(args)}' did not finish within {limit.TotalSeconds:0.#} s and was killed." +
                Environment.NewLine + "stderr so far: " + TryGetCompleted(stderr));
        }

        // The process has exited; the pipes close with it (unless it left a child holding them).
        if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(5)))
        {
            throw new TimeoutException($"'{FormatCommandLine(args)}' exited but its output streams did not close.");
        }

        return new OpenSslCliResult(args.ToArray(), process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs <c>openssl args...</c> and throws, with the command line and its stderr, unless it exits with 0.</summary>
    public static OpenSslCliResult RunChecked(IReadOnlyList<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        OpenSslCliResult result = Run(args, workingDirectory, timeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{result.CommandLine}' failed with exit code {result.ExitCode.ToString(CultureInfo.InvariantCulture)}." + Environment.NewLine +
                "stderr: " + result.StandardError.Trim() + Environment.NewLine +
                "stdout: " + result.StandardOutput.Trim());
        }

        return result;
    }

    internal static ProcessStartInfo CreateStartInfo(IEnumerable<string> args, string? workingDirectory, bool redirectStandardInput)
    {
        var info = new ProcessStartInfo(Executable)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = redirectStandardInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = redirectStandardInput ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false) : null,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    internal static string FormatCommandLine(IEnumerable<string> args)
    {
        var builder = new StringBuilder("openssl");
        foreach (string arg in args)
        {
            builder.Append(' ');
            bool quote = arg.Length == 0 || arg.Any(char.IsWhiteSpace);
            builder.Append(quote ? "\"" + arg + "\"" : arg);
        }

        return builder.ToString();
    }

    internal static void KillQuietly(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (Win32Exception)
        {
            // Exiting while we tried; nothing more to do.
        }

        try
        {
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Never started or already disposed.
        }
    }

    private static Task<string> ReadToEndOnOwnThread(StreamReader reader) =>
        Task.Factory.StartNew(reader.ReadToEnd, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static string TryGetCompleted(Task<string> task) =>
        task.IsCompletedSuccessfully ? task.Result.Trim() : "(not available)";

    private static string? ProbeVersion()
    {
        try
        {
            OpenSslCliResult result = Run(["version"], timeout: TimeSpan.FromSeconds(10));
            return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }
}
