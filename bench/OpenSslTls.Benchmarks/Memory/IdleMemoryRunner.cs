using System.Diagnostics;
using System.Globalization;

namespace OpenSslTls.Benchmarks.Memory;

/// <summary>Starts this program again as a child (<c>--idle-child</c>) for each idle measurement, so every one starts from a fresh process.</summary>
internal static class IdleMemoryRunner
{
    public static IdleResult Measure(IdleImplementation implementation, Scenario scenario, string pkiDirectory, int connections)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(IdleMemoryRunner).Assembly.Location);
        }

        foreach (string argument in (string[])["--idle-child", implementation.ToString(), scenario.Id, pkiDirectory, connections.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {host}");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"idle-memory child ({implementation}, {scenario.Id}) failed ({process.ExitCode}): {errors.Result}");
        }

        return IdleMemoryProbe.Parse(output);
    }
}
