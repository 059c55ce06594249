using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace OpenSslTls.WebBench;

/// <summary>The load generators, as processes: h2load (nghttp2-client) and openssl s_time, with their output parsed.</summary>
internal static partial class LoadTools
{
    /// <summary>One load run: what succeeded, in how long (wall), and the tool's output for the details.</summary>
    internal readonly record struct LoadResult(long Succeeded, double Seconds, long Resumed, string Output);

    public static string? CpuList { get; set; }

    /// <summary>
    /// h2load against <paramref name="url"/>: <paramref name="clients"/> connections sharing <paramref name="requests"/>
    /// requests (<paramref name="http1"/>: HTTP/1.1, else HTTP/2 with <paramref name="streams"/> concurrent streams).
    /// With clients == requests every request is on a new connection (one full TLS handshake each; h2load never resumes).
    /// </summary>
    public static LoadResult H2Load(string url, long requests, int clients, bool http1, int streams = 1)
    {
        var arguments = new List<string> { "-n", requests.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture), "-t", "1" };
        if (http1)
        {
            arguments.Add("--h1");
        }
        else
        {
            arguments.AddRange(["-m", streams.ToString(CultureInfo.InvariantCulture)]);
        }

        arguments.Add(url);
        string output = Run("h2load", arguments, TimeSpan.FromMinutes(5));
        Match finished = FinishedLine().Match(output);
        Match done = RequestsLine().Match(output);
        if (!finished.Success || !done.Success)
        {
            throw new InvalidOperationException("h2load's output has no result:\n" + output);
        }

        double seconds = double.Parse(finished.Groups["value"].Value, CultureInfo.InvariantCulture) * finished.Groups["unit"].Value switch
        {
            "ms" => 0.001,
            "us" => 0.000001,
            _ => 1,
        };
        return new LoadResult(long.Parse(done.Groups["succeeded"].Value, CultureInfo.InvariantCulture), seconds, 0, output);
    }

    /// <summary>
    /// openssl s_time to 127.0.0.1 (an IP address: no SNI) for <paramref name="seconds"/>: one connection after the other,
    /// each a TLS handshake and <c>GET /</c>; <paramref name="reuse"/> offers the previous session each time (prints
    /// <c>r</c> per resumed connection). Wall seconds are measured around the process.
    /// </summary>
    public static LoadResult STime(int port, int seconds, bool reuse)
    {
        var clock = Stopwatch.StartNew();
        string output = Run("openssl", ["s_time", "-connect", $"127.0.0.1:{port}", reuse ? "-reuse" : "-new", "-time", seconds.ToString(CultureInfo.InvariantCulture), "-www", "/"], TimeSpan.FromSeconds(seconds + 60));
        double wall = clock.Elapsed.TotalSeconds;
        Match line = STimeLine().Match(output);
        if (!line.Success)
        {
            throw new InvalidOperationException("openssl s_time's output has no result:\n" + output);
        }

        long connections = long.Parse(line.Groups["count"].Value, CultureInfo.InvariantCulture);
        long resumed = 0;
        if (reuse)
        {
            // After "starting": one character per connection ('r' when it resumed), up to the figures.
            int start = output.IndexOf("starting", StringComparison.Ordinal);
            if (start >= 0)
            {
                start += "starting".Length;
                int end = output.IndexOfAny("0123456789".ToCharArray(), start);
                resumed = output[start..(end < 0 ? output.Length : end)].Count(c => c == 'r');
            }
        }

        return new LoadResult(connections, wall, resumed, output);
    }

    /// <summary>
    /// How many of <paramref name="count"/> <c>openssl s_client</c> connections to 127.0.0.1 (no SNI) resumed the session
    /// the first one saved (<c>-sess_out</c>, then <c>-sess_in</c>): s_client keeps the session as soon as it arrives,
    /// so a server that closes without close_notify does not spoil it (it does spoil s_time's).
    /// </summary>
    public static int ResumedOf(int port, int count, params string[] protocol)
    {
        string session = Path.Combine(Path.GetTempPath(), $"webbench-{Environment.ProcessId}-{port}.pem");
        try
        {
            SClient(port, [.. protocol, "-sess_out", session]);
            int resumed = 0;
            for (int i = 0; i < count; i++)
            {
                if (SClient(port, [.. protocol, "-sess_in", session]).Contains("Reused, TLS", StringComparison.Ordinal))
                {
                    resumed++;
                }
            }

            return resumed;
        }
        finally
        {
            File.Delete(session);
        }
    }

    private static string SClient(int port, string[] extra)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])["s_client", "-connect", $"127.0.0.1:{port}", "-ign_eof", .. extra])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start openssl s_client");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write("GET / HTTP/1.0\r\n\r\n");
        process.StandardInput.Close();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("openssl s_client did not finish");
        }

        return stdout.Result + stderr.Result;
    }

    private static string Run(string file, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        string command = file;
        var start = new ProcessStartInfo(CpuList is null ? file : "taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (CpuList is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(CpuList);
            start.ArgumentList.Add(file);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
            command += " " + argument;
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish in {timeout}");
        }

        string output = stdout.Result + stderr.Result;
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{command} exited {process.ExitCode}:\n{output}");
    }

    [GeneratedRegex(@"finished in (?<value>[0-9.]+)(?<unit>s|ms|us),")]
    private static partial Regex FinishedLine();

    [GeneratedRegex(@"requests: \d+ total, \d+ started, \d+ done, (?<succeeded>\d+) succeeded")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"(?<count>\d+) connections in [0-9.]+s;")]
    private static partial Regex STimeLine();
}
