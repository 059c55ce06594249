using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>--serve IMPL PKI WARMUP_MS</c>: one managed implementation in a process of its own, sampled on request by the quick suite
/// (the protocol is <see cref="SampleSession"/>'s, the same as the C harness's <c>--serve</c>). It warms its code paths
/// up (<c>WARMUP_MS</c> of CPU time per kind of operation) before it reads the first command.
/// </summary>
internal static class ServeMode
{
    /// <summary>
    /// Tiered compilation promotes hot methods on background threads, whose CPU time the process clock counts: each
    /// child first runs every kind of operation for a while, so that cost does not land in the first samples. 3 s each:
    /// with 1 s the first record scenario's samples still jumped by ~10 % after a few rounds (dynamic PGO's final tier
    /// arriving), which the C column never does (the quick suite's default, <see cref="DefaultWarmUpMilliseconds"/>). The full handshake is there for certificate verification, which
    /// resumptions skip (for SslStream, managed chain-building code).
    /// </summary>
    private static readonly Scenario[] WarmUpScenarios =
    [
        Scenario.Handshake(TlsVersion.Tls13, ServerKey.P256),
        Scenario.Resume(ResumptionMode.Tls12Ticket),
        Scenario.Record(RecordCipher.Aes128Gcm, 512),
        Scenario.Record(RecordCipher.Aes128Gcm, 1400),
    ];

    /// <summary>The process warm-up per kind of operation unless <c>--process-warmup-ms</c> says otherwise.</summary>
    public const int DefaultWarmUpMilliseconds = 3000;

    public static int Run(Implementation implementation, string pkiDirectory, int warmUpMilliseconds)
    {
        BenchPki pki = BenchPki.Open(pkiDirectory);
        foreach (Scenario scenario in WarmUpScenarios)
        {
            using IBenchOperation operation = Operations.Create(implementation, scenario, pki);
            StopwatchMeasurer.RunFor(operation, warmUpMilliseconds, StopwatchMeasurer.BatchFor(scenario), out _, out _);
        }

        IBenchOperation? active = null;
        Scenario? activeScenario = null;
        try
        {
            while (Console.In.ReadLine() is { } line)
            {
                string reply;
                if (line.StartsWith("setup ", StringComparison.Ordinal) && active is null)
                {
                    activeScenario = Scenario.Find(line["setup ".Length..]);
                    active = Operations.Create(implementation, activeScenario, pki);
                    Console.Error.WriteLine($"# {activeScenario.Id} {implementation}: {active.Description}");
                    reply = "ok";
                }
                else if (line.StartsWith("run ", StringComparison.Ordinal) && active is not null)
                {
                    int milliseconds = int.Parse(line["run ".Length..], CultureInfo.InvariantCulture);
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    double rate = StopwatchMeasurer.RunFor(active, milliseconds, StopwatchMeasurer.BatchFor(activeScenario!), out long operations, out double wall);
                    long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                    reply = string.Create(CultureInfo.InvariantCulture, $"{rate:F3} {wall:F3} {allocated} {operations}");
                }
                else if (line == "teardown" && active is not null)
                {
                    active.Verify();
                    active.Dispose();
                    active = null;
                    reply = "ok";
                }
                else if (line == "quit")
                {
                    break;
                }
                else
                {
                    reply = $"error: unexpected command '{line}'";
                }

                Console.Out.WriteLine(reply);
                Console.Out.Flush();
            }
        }
        catch (Exception exception)
        {
            // The parent reads one line per command: tell it why instead of leaving it to read end-of-stream.
            Console.Out.WriteLine($"error: {exception.GetType().Name}: {exception.Message}");
            Console.Out.Flush();
            Console.Error.WriteLine(exception);
            return 1;
        }
        finally
        {
            active?.Dispose();
        }

        return 0;
    }
}
