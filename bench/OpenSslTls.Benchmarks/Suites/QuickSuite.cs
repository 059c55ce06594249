using System.Globalization;
using OpenSslTls.Benchmarks.Charts;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Report;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>./build.sh bench --quick</c>: Stopwatch-style loops on the process CPU clock instead of BenchmarkDotNet, to fit
/// in minutes. Each implementation runs in a process of its own (the two C references, tlsbench and the memory-BIO
/// program membio, in <c>--serve</c> mode, SslStream and OpenSslTls as this program's <c>--serve</c> children); for
/// each scenario their samples are taken in turns, rotating who goes first, so all four see the same moments of a
/// shared machine; then the idle-memory probes run. One table goes to stdout, the details to stderr. The key exchange
/// rows (<see cref="Scenario.GroupRates"/>) leave SslStream out: it has no setting for the key exchange groups.
/// </summary>
internal static class QuickSuite
{
    public static int Run(SuiteOptions options)
    {
        SampleSettings settings = options.QuickSettings;
        using BenchPki pki = BenchPki.Create();
        var harness = new CHarness(CHarness.Locate(options.CHarnessPath), pki.Directory);
        string memBioPath = CHarness.LocateMemBio(harness.Path);
        var rows = new List<ResultRow>();
        var notes = new List<string>();
        var figures = new List<BenchFigure>(ChartSet.RunStart());
        var progress = new BenchProgress("quick", Scenario.Rates.Count(options.Includes) + Scenario.GroupRates.Count(options.Includes) + IdleRows.Steps(options), Console.Error);
        using (SampleSession c = SampleSession.ForCHarness(harness.Path, pki.Directory))
        using (SampleSession memBio = SampleSession.ForCHarness(memBioPath, pki.Directory, "C mem-BIO"))
        using (SampleSession sslStream = SampleSession.ForManaged(Implementation.SslStream, pki.Directory, options.ProcessWarmUpMilliseconds))
        using (SampleSession ours = SampleSession.ForManaged(Implementation.OpenSslTls, pki.Directory, options.ProcessWarmUpMilliseconds))
        {
            foreach (Scenario scenario in Scenario.Rates.Where(options.Includes))
            {
                rows.Add(Measure(scenario, [c, memBio, sslStream, ours], settings, figures));
                progress.Step(scenario.Id);
            }

            foreach (Scenario scenario in Scenario.GroupRates.Where(options.Includes))
            {
                if (UnknownGroup(scenario) is { } reason)
                {
                    string note = $"{scenario.Title}: skipped, {reason} (the hybrid group needs OpenSSL 3.5 or newer)";
                    Console.Error.WriteLine($"# {scenario.Id} {note}");
                    notes.Add(note);
                    rows.Add(new ResultRow($"{scenario.Title} (skipped: see below)", scenario.Unit, true, null, null, null, null, null));
                    progress.Step($"{scenario.Id} skipped");
                    continue;
                }

                rows.Add(Measure(scenario, [c, memBio, null, ours], settings, figures));
                progress.Step(scenario.Id);
            }
        }

        rows.AddRange(IdleRows.Measure(harness, pki, options, figures, progress));
        figures.Add(ChartSet.RunEnd());
        if (rows.Any(row => row.Title.Contains(", group ", StringComparison.Ordinal)))
        {
            notes.Add("Rows with a group: that one group pinned on both sides (groups profile key; SSL_CTX_set1_groups_list in C); SslStream has no group setting (n/a).");
        }

        Console.WriteLine(ResultTable.Format(rows, $"Quick run ({settings.Samples} interleaved samples of {settings.SampleMilliseconds} ms CPU each after {settings.WarmupMilliseconds} ms warm-up, each implementation in its own process; idle: {options.Connections} connections)", "C, C mem-BIO, SslStream, OpenSslTls: median of the interleaved samples; ours/C, ours/C mem-BIO, ours/SslStream: median of the round-by-round ratios", notes));
        ChartSet.Save(figures, options.CsvPath ?? Path.Combine("artifacts", "bench", "quick.csv"), options.ChartDirectory, Console.Error);
        return 0;
    }

    /// <summary>Why the loaded OpenSSL cannot run the scenario's group (asked by building a profile with it), or null.</summary>
    private static string? UnknownGroup(Scenario scenario)
    {
        try
        {
            TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { Method = TlsMethod.TLSv1_3, Groups = scenario.Group }).Dispose();
            return null;
        }
        catch (TlsProfileException e)
        {
            string prefix = $"profile {e.Profile}: ";
            return e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
        }
    }

    /// <summary>
    /// Samples C, C mem-BIO, SslStream and OpenSslTls (in this order in <paramref name="all"/>; a null SslStream is
    /// left out) in turns.
    /// </summary>
    private static ResultRow Measure(Scenario scenario, SampleSession?[] all, SampleSettings settings, List<BenchFigure> figures)
    {
        SampleSession[] sessions = [.. all.OfType<SampleSession>()];
        int c = 0;
        int memBio = 1;
        int ours = sessions.Length - 1;
        int? sslStream = all[2] is null ? null : 2;
        var samples = sessions.Select(_ => new List<SampleSession.Sample>()).ToArray();
        foreach (SampleSession session in sessions)
        {
            session.Setup(scenario);
        }

        foreach (SampleSession session in sessions)
        {
            session.Run(settings.WarmupMilliseconds);
        }

        for (int round = 0; round < settings.Samples; round++)
        {
            for (int turn = 0; turn < sessions.Length; turn++)
            {
                int who = (round + turn) % sessions.Length;
                samples[who].Add(sessions[who].Run(settings.SampleMilliseconds));
            }
        }

        foreach (SampleSession session in sessions)
        {
            session.Teardown();
        }

        RateResult[] results = [.. samples.Select(s => Result(scenario, s))];
        for (int i = 0; i < sessions.Length; i++)
        {
            Log(scenario, sessions[i].Name, results[i]);
            Record(scenario, sessions[i].Name, results[i], i == c ? null : [.. samples[i].Zip(samples[c], (o, r) => o.PerCpuSecond / r.PerCpuSecond)], figures);
        }

        // The ratios are medians of round-by-round ratios: a round's samples are taken one after the other, so a phase
        // change of the host (this VM's vCPUs speed up or slow down by up to ~40 % for seconds at a time) hits both,
        // while the ratio of two medians breaks when the change falls in the middle of a scenario.
        double[] toC = RoundByRound(samples[ours], samples[c]);
        double[] toMemBio = RoundByRound(samples[ours], samples[memBio]);
        double[]? toSslStream = sslStream is { } s ? RoundByRound(samples[ours], samples[s]) : null;
        LogRatios(scenario, "C", toC, results[ours].Value / results[c].Value);
        LogRatios(scenario, "C mem-BIO", toMemBio, results[ours].Value / results[memBio].Value);
        RateResult? other = sslStream is { } index ? results[index] : null;
        return new ResultRow(scenario.Title, scenario.Unit, true, results[c].Value, other?.Value, results[ours].Value, other?.AllocatedBytesPerOperation, results[ours].AllocatedBytesPerOperation,
            StopwatchMeasurer.Median(toC), toSslStream is null ? null : StopwatchMeasurer.Median(toSslStream), results[memBio].Value, StopwatchMeasurer.Median(toMemBio));
    }

    private static double[] RoundByRound(List<SampleSession.Sample> ours, List<SampleSession.Sample> reference) =>
        [.. ours.Zip(reference, (o, r) => o.PerCpuSecond / r.PerCpuSecond)];

    private static void LogRatios(Scenario scenario, string reference, double[] ratios, double ratioOfMedians) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {scenario.Id} OpenSslTls/{reference} round by round: {string.Join(' ', ratios.Select(r => r.ToString("F3", CultureInfo.InvariantCulture)))}; median {StopwatchMeasurer.Median(ratios):F3}; ratio of the medians {ratioOfMedians:F3}"));

    private static RateResult Result(Scenario scenario, List<SampleSession.Sample> samples)
    {
        double scale = scenario.Kind == ScenarioKind.Record ? scenario.Size / 1e6 : 1;
        long operations = samples.Sum(s => s.Operations ?? 0);
        double? allocated = samples.All(s => s.AllocatedBytes is not null) && operations > 0
            ? (double)samples.Sum(s => s.AllocatedBytes!.Value) / operations
            : null;
        return new RateResult(
            StopwatchMeasurer.Median(samples.Select(s => s.PerCpuSecond)) * scale,
            allocated,
            [.. samples.Select(s => s.PerCpuSecond * scale)],
            [.. samples.Select(s => s.PerWallSecond * scale)]);
    }

    /// <summary>
    /// The figures of one session for the CSV: its rate, its allocations, and (for all but C) the median of its
    /// round-by-round ratios to C, for every session whatever it is, so a new column of the table is new rows.
    /// </summary>
    private static void Record(Scenario scenario, string implementation, RateResult result, double[]? toC, List<BenchFigure> figures)
    {
        string metric = scenario.Kind == ScenarioKind.Record ? ChartCatalog.RecordRate : ChartCatalog.HandshakeRate;
        figures.Add(new BenchFigure(scenario.Title, implementation, metric, result.Value, scenario.Unit));
        if (result.AllocatedBytesPerOperation is { } allocated)
        {
            figures.Add(new BenchFigure(scenario.Title, implementation, "allocated-per-operation", allocated, "B/op"));
        }

        if (toC is { Length: > 0 })
        {
            figures.Add(new BenchFigure(scenario.Title, implementation, ChartCatalog.RatioToC, StopwatchMeasurer.Median(toC), "x C"));
        }
    }

    private static void Log(Scenario scenario, string implementation, RateResult result) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {scenario.Id} {implementation}: {result.Value:F1} {scenario.Unit} per CPU second (samples {Join(result.Samples)}; per wall second {Join(result.WallSamples)}){(result.AllocatedBytesPerOperation is { } a ? $", {a:F1} B allocated/op" : string.Empty)}"));

    private static string Join(IEnumerable<double> values) => string.Join(' ', values.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)));
}
