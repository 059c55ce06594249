using System.Diagnostics;
using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;

namespace OpenSslTls.Benchmarks.Memory;

/// <summary>
/// <c>--idle-hold N [0|1]</c>: the idle probe at any size (a million fits a 24 GiB machine at the target 16 KB), run in
/// this process rather than a child so its progress shows: N established TLS 1.3 server connections held at once
/// (ssl_release_buffers on unless 0 is given), each client freed right after its handshake, progress on stderr, the
/// result per connection on stdout. Not part of either suite: at a million it takes many CPU minutes.
/// </summary>
internal static class IdleHoldMode
{
    public const string Argument = "--idle-hold";

    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count is < 2 or > 3 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out int connections) || connections is < 1 or > 10_000_000 ||
            (args.Count == 3 && args[2] is not ("0" or "1")))
        {
            Console.Error.WriteLine($"usage: {Argument} N [RELEASE_BUFFERS 0|1 (default 1)]");
            return 2;
        }

        int releaseBuffers = args.Count == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        Scenario scenario = Scenario.Idle(releaseBuffers);
        string loadAtStart = Report.LoadAverageText.Read();
        Console.Error.WriteLine($"# idle hold: {connections} TLS 1.3 server connections ({scenario.Title}) in one process; load average {loadAtStart}");
        using BenchPki pki = BenchPki.Create();
        var elapsed = Stopwatch.StartNew();
        TimeSpan every = TimeSpan.FromSeconds(10);
        TimeSpan nextReport = every;
        IdleResult result = IdleMemoryProbe.Run(IdleImplementation.OpenSslTls, scenario, pki, connections, held =>
        {
            if (elapsed.Elapsed >= nextReport)
            {
                nextReport = elapsed.Elapsed + every;
                Console.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"# {held}/{connections} held ({100.0 * held / connections:F1}%), {held / elapsed.Elapsed.TotalSeconds:F0}/s, RSS {ProcessMemory.ResidentBytes() / 1048576.0:F0} MiB, load {Report.LoadAverageText.Read()}"));
            }
        });
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{connections} idle TLS 1.3 server connections ({scenario.Title}) held in one process: RSS {result.ResidentPerConnection / 1000:F2} KB per connection, " +
            $"malloc in use {result.NativeHeapPerConnection / 1000:F2} KB, live managed {result.ManagedPerConnection:F0} B; " +
            $"{elapsed.Elapsed.TotalSeconds:F0} s; load average {loadAtStart} at start, {Report.LoadAverageText.Read()} at end"));
        return 0;
    }

}
