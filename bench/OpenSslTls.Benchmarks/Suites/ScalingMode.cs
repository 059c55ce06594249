using System.Diagnostics;
using System.Globalization;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.OpenSsl;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>--scaling SCENARIO SECONDS [ROUNDS]</c>: how OpenSslTls handshakes scale with threads in one process. For 1 to
/// <see cref="Environment.ProcessorCount"/> threads, each thread runs its own client/server handshake loop, either
/// on contexts of its own or all on one shared pair of <c>SSL_CTX</c> (and one session to resume), the way a server
/// shares its profile's context between connections. Cases are interleaved round by round. Per case: handshakes per
/// wall second (all threads), per thread, and per CPU second of the process; the last falls when threads wait on or
/// spin in each other's locks (OpenSSL 3.0's EVP fetch and name-map locks), the first two also when the machine
/// gives the process less than a core per thread.
/// </summary>
internal static class ScalingMode
{
    public static int Run(Scenario scenario, int seconds, int rounds)
    {
        if (scenario.Kind is not (ScenarioKind.Handshake or ScenarioKind.Resume))
        {
            Console.Error.WriteLine($"--scaling: {scenario.Id} is not a handshake or resumption scenario");
            return 2;
        }

        using BenchPki pki = BenchPki.Create();
        int maxThreads = Environment.ProcessorCount;
        var cases = new List<(int Threads, bool Shared)>();
        for (int threads = 1; threads <= maxThreads; threads++)
        {
            cases.Add((threads, false));
            if (threads > 1)
            {
                cases.Add((threads, true));
            }
        }

        var totals = cases.ToDictionary(c => c, _ => (Operations: 0L, Wall: 0.0, Cpu: 0.0));
        Console.Error.WriteLine($"# {scenario.Id}: {cases.Count} cases x {rounds} rounds x {seconds} s, {maxThreads} CPUs");
        for (int round = 1; round <= rounds; round++)
        {
            // Alternate the order, so that neither the first nor the last case always meets the machine's slow moments.
            IEnumerable<(int Threads, bool Shared)> order = round % 2 == 1 ? cases : Enumerable.Reverse(cases);
            foreach ((int threads, bool shared) in order)
            {
                (long operations, double wall, double cpu) = RunCase(pki, scenario, threads, shared, seconds);
                (long o, double w, double c) = totals[(threads, shared)];
                totals[(threads, shared)] = (o + operations, w + wall, c + cpu);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# round {round} threads={threads} contexts={(shared ? "shared" : "own")}: {operations / wall:F0}/s wall, {operations / cpu:F0}/CPU-s"));
            }
        }

        Console.WriteLine($"scenario,threads,contexts,handshakes per s,per thread per s,per CPU-s,CPU use");
        foreach ((int threads, bool shared) in cases)
        {
            (long operations, double wall, double cpu) = totals[(threads, shared)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{scenario.Id},{threads},{(shared ? "shared" : "own")},{operations / wall:F0},{operations / wall / threads:F0},{operations / cpu:F0},{cpu / wall:F2}"));
        }

        return 0;
    }

    private static (long Operations, double Wall, double Cpu) RunCase(BenchPki pki, Scenario scenario, int threads, bool shared, int seconds)
    {
        var first = new OpenSslTlsHandshakeOperation(pki, scenario);
        var operations = new List<OpenSslTlsHandshakeOperation> { first };
        for (int i = 1; i < threads; i++)
        {
            operations.Add(shared ? first.Sibling() : new OpenSslTlsHandshakeOperation(pki, scenario));
        }

        try
        {
            // Warm every loop (tiered JIT, caches) for 300 ms before the clocks start, then run all threads for the
            // same wall time.
            foreach (OpenSslTlsHandshakeOperation operation in operations)
            {
                long warm = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 3 / 10);
                do
                {
                    operation.Run();
                }
                while (Stopwatch.GetTimestamp() < warm);
            }

            long[] counts = new long[threads];
            using var start = new Barrier(threads + 1);
            long deadline = 0;
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int index = t;
                workers[t] = new Thread(() =>
                {
                    start.SignalAndWait();
                    long count = 0;
                    while (Stopwatch.GetTimestamp() < Volatile.Read(ref deadline))
                    {
                        operations[index].Run();
                        count++;
                    }

                    counts[index] = count;
                })
                { IsBackground = true, Name = $"scaling-{index}" };
                workers[t].Start();
            }

            Volatile.Write(ref deadline, Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency));
            double cpuBefore = CpuClock.Seconds();
            long wallBefore = Stopwatch.GetTimestamp();
            start.SignalAndWait();
            foreach (Thread worker in workers)
            {
                worker.Join();
            }

            double wall = Stopwatch.GetElapsedTime(wallBefore).TotalSeconds;
            double cpu = CpuClock.Seconds() - cpuBefore;
            operations[0].Verify();
            return (counts.Sum(), wall, cpu);
        }
        finally
        {
            // Siblings first: the first operation owns the shared profiles.
            for (int i = operations.Count - 1; i >= 0; i--)
            {
                operations[i].Dispose();
            }
        }
    }
}
