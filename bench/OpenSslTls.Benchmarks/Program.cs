using System.Globalization;
using OpenSslTls.Benchmarks.Charts;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Memory;
using OpenSslTls.Benchmarks.Suites;

namespace OpenSslTls.Benchmarks;

/// <summary>
/// Entry point. <c>--quick</c>: the short suite (Stopwatch loops). No mode: the full suite (BenchmarkDotNet). Options:
/// <c>--c-harness PATH</c>, <c>--connections N</c> (idle memory, at least 2000), <c>--only ID-PART</c> (repeatable),
/// and for the quick suite <c>--samples N</c> and <c>--sample-ms MS</c> (interleaved samples per implementation and their
/// length) and <c>--process-warmup-ms MS</c> (the children's start-up warm-up per kind of operation; 3000 by default).
/// <c>--profile IMPL SCENARIO SECONDS</c> runs one operation alone for a profiler; <c>--cpu IMPL SCENARIO WARMUP COUNT</c> prints CPU and wall time per operation (A/B of checkouts on a shared machine). <c>--scaling SCENARIO SECONDS [ROUNDS]</c>
/// runs handshakes on 1..N threads, with contexts of their own or one shared pair. <c>--serve IMPL PKI WARMUP_MS</c> (one managed
/// implementation sampled on request) and <c>--idle-child IMPL SCENARIO PKI N</c> are the internal modes the quick
/// suite and the idle-memory runner start. <c>--idle-hold N [0|1]</c> holds N idle connections in this process (a
/// million: see <see cref="IdleHoldMode"/>). <c>--sip-parse</c> times the SIP parser on a folded 64 KiB header section.
/// Both suites write their figures to <c>--csv PATH</c> (default artifacts/bench/quick.csv or full.csv) and draw the
/// charts from them into <c>--charts DIR</c> (default artifacts/bench/charts; docs/charts for the documentation);
/// <c>--c-tolerance PCT</c> (full suite) is how far C probes may disagree before a ratio is refused.
/// <c>--draw CSV DIR</c> redraws the charts of a CSV any of the benches wrote, without measuring.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return Dispatch(args);
        }
        catch (UnknownScenarioException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        catch (FileNotFoundException e)
        {
            // A C program not built (tlsbench, membio): the message names it and the command that builds it.
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    private static int Dispatch(string[] args)
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

        if (args.Length is 3 or 4 && args[0] == "--scaling")
        {
            return ScalingMode.Run(Scenario.Find(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture), args.Length == 4 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3);
        }

        if (args.Length == 3 && args[0] == "--draw")
        {
            foreach (string chart in ChartSet.Draw(FigureCsv.Read(args[1]), args[2], Path.GetFileNameWithoutExtension(args[1]), Path.GetFileName(args[1])))
            {
                Console.WriteLine(chart);
            }

            return 0;
        }

        if (args.Length == 5 && args[0] == "--cpu")
        {
            return CpuMode.Run(Enum.Parse<Implementation>(args[1]), Scenario.Find(args[2]), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture));
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
        string? csv = null;
        string charts = Path.Combine("artifacts", "bench", "charts");
        double? tolerance = null;
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
                case "--csv" when i + 1 < args.Length:
                    csv = args[++i];
                    break;
                case "--charts" when i + 1 < args.Length:
                    charts = args[++i];
                    break;
                case "--c-tolerance" when i + 1 < args.Length:
                    tolerance = double.Parse(args[++i], CultureInfo.InvariantCulture) / 100;
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: [--quick [--samples N] [--sample-ms MS] [--process-warmup-ms MS]] [--c-tolerance PCT] [--c-harness PATH] [--connections N] [--only ID-PART]... [--csv PATH] [--charts DIR] | --draw CSV DIR");
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

        if (tolerance is { } t && (t < 0 || quick))
        {
            Console.Error.WriteLine("--c-tolerance: the full suite's only (its quick ratios are medians of round-by-round ratios), and not negative");
            return 2;
        }

        var options = new SuiteOptions(harness, connections, only, samples, sampleMilliseconds, processWarmUp)
        {
            CsvPath = csv,
            ChartDirectory = charts,
            CTolerance = tolerance ?? ReferenceDrift.DefaultTolerance,
        };
        return quick ? QuickSuite.Run(options) : FullSuite.Run(options);
    }
}
