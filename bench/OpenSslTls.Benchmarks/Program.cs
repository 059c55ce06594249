using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Memory;
using OpenSslTls.Benchmarks.Suites;

namespace OpenSslTls.Benchmarks;

/// <summary>
/// Entry point. <c>--quick</c>: the short suite (Stopwatch loops). No mode: the full suite (BenchmarkDotNet). Options:
/// <c>--c-harness PATH</c>, <c>--connections N</c> (idle memory, at least 2000), <c>--only ID-PART</c> (repeatable),
/// and for the quick suite <c>--samples N</c> and <c>--sample-ms MS</c> (interleaved samples per implementation and their
/// length) and <c>--process-warmup-ms MS</c> (the children's start-up warm-up per kind of operation; 3000 by default).
/// <c>--profile IMPL SCENARIO SECONDS</c> runs one operation alone for a profiler. <c>--serve IMPL PKI WARMUP_MS</c> (one managed
/// implementation sampled on request) and <c>--idle-child IMPL SCENARIO PKI N</c> are the internal modes the quick
/// suite and the idle-memory runner start. <c>--idle-hold N [0|1]</c> holds N idle connections in this process (a
/// million: see <see cref="IdleHoldMode"/>). <c>--sip-parse</c> times the SIP parser on a folded 64 KiB header section.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 5 && args[0] == "--idle-child")
        {
            IdleResult result = IdleMemoryProbe.Run(
                Enum.Parse<IdleImplementation>(args[1]), Scenario.Find(args[2]), BenchPki.Open(args[3]), int.Parse(args[4], CultureInfo.InvariantCulture));
            Console.WriteLine(IdleMemoryProbe.Format(result));
            return 0;
        }

        if (args.Length > 0 && args[0] == IdleHoldMode.Argument)
        {
            return IdleHoldMode.Run(args);
        }

        if (args.Length == 4 && args[0] == "--serve")
        {
            return ServeMode.Run(Enum.Parse<Implementation>(args[1]), args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
        }

        if (args.Length == 1 && args[0] == "--sip-parse")
        {
            return SipParseMode.Run();
        }

        if (args.Length == 4 && args[0] == "--profile")
        {
            return ProfileMode.Run(Enum.Parse<Implementation>(args[1]), Scenario.Find(args[2]), int.Parse(args[3], CultureInfo.InvariantCulture));
        }

        bool quick = false;
        string? harness = null;
        int connections = 5000;
        int? samples = null;
        int? sampleMilliseconds = null;
        int processWarmUp = ServeMode.DefaultWarmUpMilliseconds;
        var only = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--c-harness" when i + 1 < args.Length:
                    harness = args[++i];
                    break;
                case "--connections" when i + 1 < args.Length:
                    connections = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--samples" when i + 1 < args.Length:
                    samples = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--sample-ms" when i + 1 < args.Length:
                    sampleMilliseconds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--process-warmup-ms" when i + 1 < args.Length:
                    processWarmUp = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--only" when i + 1 < args.Length:
                    only.Add(args[++i]);
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: [--quick [--samples N] [--sample-ms MS] [--process-warmup-ms MS]] [--c-harness PATH] [--connections N] [--only ID-PART]...");
                    return 2;
            }
        }

        if (connections < 2000)
        {
            Console.Error.WriteLine("--connections: at least 2000 (fewer connections make the per-connection figure noise)");
            return 2;
        }

        if (samples is < 1 || sampleMilliseconds is < 50 || processWarmUp < 0)
        {
            Console.Error.WriteLine("--samples: at least 1; --sample-ms: at least 50; --process-warmup-ms: not negative");
            return 2;
        }

        if (((samples ?? sampleMilliseconds) is not null || processWarmUp != ServeMode.DefaultWarmUpMilliseconds) && !quick)
        {
            Console.Error.WriteLine("--samples, --sample-ms and --process-warmup-ms apply to --quick only");
            return 2;
        }

        var options = new SuiteOptions(harness, connections, only, samples, sampleMilliseconds, processWarmUp);
        return quick ? QuickSuite.Run(options) : FullSuite.Run(options);
    }
}
