using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Setup;

/// <summary>One run of <c>openssl s_time</c> against a server: connections made, how many resumed, wall time.</summary>
internal sealed record STimeResult(long Connections, long Resumed, long Marked, double WallSeconds, int ExitCode, string Output);

/// <summary>
/// The third-party client of the set-up suite: <c>openssl s_time</c>, sequential connections, each closed right after
/// its handshake (<c>-new</c>: full handshakes; <c>-reuse</c>: every connection offers the first one's session). It
/// prints one character per timed connection, <c>r</c> when the session was resumed, which is how a row proves it measured
/// what it says. The session-id row turns the client's ticket support off through an OpenSSL configuration file
/// (<c>Options = -SessionTicket</c>), since s_time has no option for it; the servers then resume from their caches.
/// </summary>
internal static partial class STimeClient
{
    public static async Task<STimeResult> RunAsync(SetupRow row, IPEndPoint server, int seconds, string work)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(server);
        var start = new ProcessStartInfo("openssl")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = work,
        };
        foreach (string argument in Arguments(row, server, seconds))
        {
            start.ArgumentList.Add(argument);
        }

        if (row.Resumption == SetupResumption.SessionId)
        {
            start.Environment["OPENSSL_CONF"] = NoTicketConfiguration(work);
        }

        var wall = Stopwatch.StartNew();
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start openssl s_time");
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 60));
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"s_time against {server} did not finish");
        }

        double elapsed = wall.Elapsed.TotalSeconds;
        string text = await output.ConfigureAwait(false) + await errors.ConfigureAwait(false);
        Match done = Counted().Match(text);
        long connections = done.Success ? long.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

        // The marks line follows "starting": '*' a full handshake, 'r' a resumed one.
        int marks = text.IndexOf("starting", StringComparison.Ordinal);
        string line = marks < 0 ? string.Empty : text[(marks + "starting".Length)..].TrimStart('\r', '\n').Split('\n')[0];
        long resumed = line.Count(c => c == 'r');
        long marked = resumed + line.Count(c => c == '*');
        return new STimeResult(connections, resumed, marked, elapsed, process.ExitCode, text);
    }

    private static string[] Arguments(SetupRow row, IPEndPoint server, int seconds)
    {
        var arguments = new List<string>
        {
            "s_time", "-connect", $"127.0.0.1:{server.Port.ToString(CultureInfo.InvariantCulture)}",
            row.Resumes ? "-reuse" : "-new",
            row.Version == BenchTlsVersion.Tls13 ? "-tls1_3" : "-tls1_2",
            row.Version == BenchTlsVersion.Tls13 ? "-ciphersuites" : "-cipher", TlsPinning.OpenSslSuite(row.Version, row.Key),
            "-time", seconds.ToString(CultureInfo.InvariantCulture),
        };
        if (row.Reads)
        {
            arguments.AddRange(["-www", "/" + SetupServers.PageName]);
        }

        return [.. arguments];
    }

    private static string NoTicketConfiguration(string work)
    {
        string path = Path.Combine(work, "s_time-no-ticket.cnf");
        File.WriteAllText(path,
            "openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_configuration\n[ssl_configuration]\nsystem_default = no_ticket\n" +
            "[no_ticket]\nOptions = -SessionTicket\n");
        return path;
    }

    [GeneratedRegex(@"(\d+) connections in [0-9.]+s;")]
    private static partial Regex Counted();
}
