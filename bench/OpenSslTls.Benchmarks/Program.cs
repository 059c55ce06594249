using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Memory;
using OpenSslTls.Benchmarks.Suites;

namespace OpenSslTls.Benchmarks;

/// <summary>
/// Entry point. <c>--quick</c>: the short suite (Stopwatch loops). No mode: the full suite (BenchmarkDotNet). Options:
/// <c>--c-harness PATH</c>, <c>--connections N</c> (idle memory, at least 2000), <c>--only ID-PART</c> (repeatable).
/// <c>--profile IMPL SCENARIO SECONDS</c> runs one operation alone for a profiler. <c>--idle-child IMPL SCENARIO PKI N</c>
/// is the internal mode the idle-memory runner starts.
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

        if (args.Length == 4 && args[0] == "--profile")
        {
            return ProfileMode.Run(Enum.Parse<Implementation>(args[1]), Scenario.Find(args[2]), int.Parse(args[3], CultureInfo.InvariantCulture));
        }

        bool quick = false;
        string? harness = null;
        int connections = 5000;
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
                case "--only" when i + 1 < args.Length:
                    only.Add(args[++i]);
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: [--quick] [--c-harness PATH] [--connections N] [--only ID-PART]...");
                    return 2;
            }
        }

        if (connections < 2000)
        {
            Console.Error.WriteLine("--connections: at least 2000 (fewer connections make the per-connection figure noise)");
            return 2;
        }

        var options = new SuiteOptions(harness, connections, only);
        return quick ? QuickSuite.Run(options) : FullSuite.Run(options);
    }
}
