using System.Globalization;

namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>
/// The full suite's rule against ratios the machine made. A ratio of two rates measured at different moments is only
/// as good as the machine's speed being the same at both (this VM's vCPUs change speed by tens of percent for seconds
/// to minutes). So the C harness is sampled before, between and after the managed BenchmarkDotNet runs of a scenario,
/// which makes it the machine's speedometer for that stretch of time, and each managed run's iterations are split in
/// a first and a second half. The ratio may be printed only when the C probes agree with each other, and each managed
/// run's halves agree with each other, within the tolerance; otherwise the table says "unstable". A pure function of
/// the figures, so the rule is tested without timing anything.
/// </summary>
internal static class ReferenceDrift
{
    /// <summary>The tolerance the full suite states and applies unless told otherwise (<c>--c-tolerance PCT</c>).</summary>
    public const double DefaultTolerance = 0.05;

    /// <summary>So that a disagreement of exactly the tolerance passes despite rounding (105 / 100 - 1 is a hair above 0.05).</summary>
    private const double Slack = 1e-9;

    /// <summary>
    /// Judges one scenario. <paramref name="probes"/>: the C rate of each probe, in time order (at least two);
    /// <paramref name="runs"/>: per managed implementation, its iterations' rates in the order they ran (a run of
    /// fewer than two iterations has no halves to compare and is not judged).
    /// </summary>
    public static RatioVerdict Judge(IReadOnlyList<double> probes, IReadOnlyList<(string Name, IReadOnlyList<double> Rates)> runs, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentOutOfRangeException.ThrowIfNegative(tolerance);
        if (probes.Count < 2)
        {
            return new RatioVerdict(false, double.PositiveInfinity, "unstable (C probed once)", "fewer than two C probes: nothing shows the machine kept its speed");
        }

        if (probes.Any(p => !(p > 0) || double.IsInfinity(p)))
        {
            return new RatioVerdict(false, double.PositiveInfinity, "unstable (C probe failed)", $"a C probe is not a positive rate: {Join(probes)}");
        }

        double cDrift = (probes.Max() / probes.Min()) - 1;
        var findings = new List<(double Drift, string Marker, string Reason)>();
        if (cDrift > tolerance + Slack)
        {
            findings.Add((cDrift, $"unstable (C {Percent(cDrift)})", $"C probes {Join(probes)} disagree by {Percent(cDrift)}"));
        }

        double drift = cDrift;
        foreach ((string name, IReadOnlyList<double> rates) in runs)
        {
            if (rates.Count < 2)
            {
                continue;
            }

            if (rates.Any(r => !(r > 0) || double.IsInfinity(r)))
            {
                findings.Add((double.PositiveInfinity, $"unstable ({name} failed)", $"{name}: an iteration is not a positive rate"));
                continue;
            }

            int half = rates.Count / 2;
            double first = Median(rates.Take(half));
            double second = Median(rates.Skip(rates.Count - half));
            double runDrift = (Math.Max(first, second) / Math.Min(first, second)) - 1;
            drift = Math.Max(drift, runDrift);
            if (runDrift > tolerance + Slack)
            {
                findings.Add((runDrift, $"unstable ({name} {Percent(runDrift)})", $"{name}'s first and second half of iterations (medians {Number(first)} and {Number(second)}) disagree by {Percent(runDrift)}"));
            }
        }

        if (findings.Count == 0)
        {
            return new RatioVerdict(true, drift, string.Empty, $"C probes {Join(probes)} and every run's halves within {Percent(tolerance)} (largest {Percent(drift)})");
        }

        (double worst, string marker, _) = findings.MaxBy(f => f.Drift);
        return new RatioVerdict(false, worst, marker, string.Join("; ", findings.Select(f => f.Reason)) + $" (tolerance {Percent(tolerance)})");
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";

    private static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Join(IEnumerable<double> values) => string.Join(", ", values.Select(Number));
}
