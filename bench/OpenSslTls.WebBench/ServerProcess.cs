using System.Diagnostics;
using System.Globalization;

namespace OpenSslTls.WebBench;

/// <summary>A running <see cref="WebServerMode"/> child: its port, its CPU seconds and RSS from /proc, its gc command.</summary>
internal sealed class ServerProcess : IDisposable
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    private readonly Process _process;

    private ServerProcess(string kind, Process process, int port)
    {
        Kind = kind;
        _process = process;
        Port = port;
    }

    public string Kind { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Url => $"https://127.0.0.1:{Port}/";

    public static ServerProcess Start(string kind, string certificate, string key, string? cpuList)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        string dll = typeof(ServerProcess).Assembly.Location;
        var arguments = new List<string>();
        string file = self;
        if (!string.IsNullOrEmpty(dll) && Path.GetFileNameWithoutExtension(self) is "dotnet")
        {
            arguments.Add(dll);
        }

        arguments.AddRange([WebServerMode.Argument, kind, certificate, key]);
        if (cpuList is not null)
        {
            arguments.InsertRange(0, ["-c", cpuList, file]);
            file = "taskset";
        }

        var start = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start the server");
        string? line = process.StandardOutput.ReadLine();
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the {kind} server did not start: {line}");
        }

        return new ServerProcess(kind, process, int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture));
    }

    /// <summary>User + system CPU seconds of the whole process (/proc/PID/stat), every thread included.</summary>
    public double CpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>Resident set size in bytes (/proc/PID/status VmRSS).</summary>
    public long RssBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary>A full compacting collection in the server, so the RSS read next is not garbage.</summary>
    public void CollectGarbage()
    {
        _process.StandardInput.WriteLine("gc");
        _process.StandardInput.Flush();
        string? answer = _process.StandardOutput.ReadLine();
        if (answer != "gc-done")
        {
            throw new InvalidOperationException($"the {Kind} server answered '{answer}' to gc");
        }
    }

    /// <summary>The server's live managed bytes and glibc malloc bytes in use (read after <see cref="CollectGarbage"/>).</summary>
    public (long Managed, long Native) HeapBytes()
    {
        _process.StandardInput.WriteLine("mem");
        _process.StandardInput.Flush();
        string? answer = _process.StandardOutput.ReadLine();
        string[] parts = answer?.Split(' ') ?? [];
        if (parts.Length != 3 || parts[0] != "mem")
        {
            throw new InvalidOperationException($"the {Kind} server answered '{answer}' to mem");
        }

        return (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
