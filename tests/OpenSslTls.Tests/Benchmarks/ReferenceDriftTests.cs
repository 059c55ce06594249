using OpenSslTls.Benchmarks.Measurement;
using OpenSslTls.Benchmarks.Report;

namespace OpenSslTls.Tests.Benchmarks;

/// <summary>
/// The full suite's rule against ratios the machine made (<see cref="ReferenceDrift"/>), on made-up figures: it is a
/// pure function, so the refusal is tested without timing anything. The case that led to it: C probed at 296 MB/s in a
/// slow minute and at 453 MB/s around it, which a ratio of one C run to one managed run turns into "1.528x C".
/// </summary>
public sealed class ReferenceDriftTests
{
    private static readonly double[] Flat = [450, 452, 449, 451, 450, 453, 448, 451, 450, 452, 449, 451, 450, 452];

    [Fact]
    public void Probes_and_halves_that_agree_within_the_tolerance_let_the_ratio_through()
    {
        RatioVerdict verdict = ReferenceDrift.Judge([300, 306, 303], [("SslStream", Flat), ("OpenSslTls", Flat)], 0.05);

        Assert.True(verdict.Stable, verdict.Reason);
        Assert.Equal(0.02, verdict.Drift, 9);
        Assert.Empty(verdict.Marker);
    }

    [Fact]
    public void C_probes_that_disagree_beyond_the_tolerance_refuse_the_ratio_and_say_by_how_much()
    {
        RatioVerdict verdict = ReferenceDrift.Judge([453, 296, 450], [("SslStream", Flat), ("OpenSslTls", Flat)], 0.05);

        Assert.False(verdict.Stable);
        Assert.Equal((453.0 / 296) - 1, verdict.Drift, 9);
        Assert.Equal("unstable (C 53.0 %)", verdict.Marker);
        Assert.Contains("C probes 453, 296, 450 disagree by 53.0 %", verdict.Reason, StringComparison.Ordinal);
        Assert.Contains("tolerance 5.0 %", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_managed_run_whose_second_half_ran_slower_refuses_the_ratio_even_with_steady_C_probes()
    {
        double[] slowedDown = [450, 452, 449, 451, 450, 453, 448, 380, 378, 381, 379, 380, 382, 379];

        RatioVerdict verdict = ReferenceDrift.Judge([300, 301, 300], [("SslStream", Flat), ("OpenSslTls", slowedDown)], 0.05);

        Assert.False(verdict.Stable);
        Assert.StartsWith("unstable (OpenSslTls ", verdict.Marker, StringComparison.Ordinal);
        Assert.Contains("OpenSslTls's first and second half of iterations (medians 450 and 380)", verdict.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("C probes", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Noise_inside_a_run_does_not_refuse_it_when_both_halves_sit_at_the_same_speed()
    {
        double[] noisy = [400, 500, 420, 480, 450, 460, 440, 410, 490, 430, 470, 450, 455, 445];

        Assert.True(ReferenceDrift.Judge([300, 300], [("OpenSslTls", noisy)], 0.05).Stable);
    }

    [Fact]
    public void The_tolerance_is_inclusive_and_the_worst_disagreement_names_the_marker()
    {
        Assert.True(ReferenceDrift.Judge([100, 105], [], 0.05).Stable);
        Assert.False(ReferenceDrift.Judge([100, 105.01], [], 0.05).Stable);

        double[] halves = [100, 100, 100, 130, 130, 130];
        RatioVerdict both = ReferenceDrift.Judge([100, 110], [("SslStream", halves)], 0.05);
        Assert.Equal("unstable (SslStream 30.0 %)", both.Marker);
        Assert.Contains("C probes 100, 110 disagree by 10.0 %", both.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void One_probe_a_failed_probe_or_a_failed_run_is_never_stable()
    {
        Assert.Equal("unstable (C probed once)", ReferenceDrift.Judge([300], [("OpenSslTls", Flat)], 0.05).Marker);
        Assert.Equal("unstable (C probe failed)", ReferenceDrift.Judge([300, 0], [("OpenSslTls", Flat)], 0.05).Marker);
        Assert.Equal("unstable (C probe failed)", ReferenceDrift.Judge([300, double.NaN], [], 0.05).Marker);
        Assert.Equal("unstable (OpenSslTls failed)", ReferenceDrift.Judge([300, 300], [("OpenSslTls", [450, double.PositiveInfinity])], 0.05).Marker);
    }

    [Fact]
    public void The_table_prints_the_marker_in_every_ratio_cell_instead_of_a_ratio()
    {
        ResultRow stable = new("record 1400 B AES-128-GCM", "MB/s", true, 450, 300, 453, 0, 0, CMemBio: 500);
        ResultRow unstable = stable with { Title = "record 512 B AES-128-GCM", C = 296 };
        unstable = unstable with { Unstable = ReferenceDrift.Judge([453, 296, 450], [], 0.05).Marker };

        string table = ResultTable.Format([stable, unstable], "t", "n");

        Assert.Contains("| record 1400 B AES-128-GCM | MB/s (higher is better) | 450.0 | 500.0 | 300.0 | 453.0 | 1.007 | 0.906 | 1.510 |", table, StringComparison.Ordinal);
        Assert.Contains("| record 512 B AES-128-GCM | MB/s (higher is better) | 296.0 | 500.0 | 300.0 | 453.0 | unstable (C 53.0 %) | unstable (C 53.0 %) | unstable (C 53.0 %) |", table, StringComparison.Ordinal);
        Assert.DoesNotContain("1.530", table, StringComparison.Ordinal);
    }
}
