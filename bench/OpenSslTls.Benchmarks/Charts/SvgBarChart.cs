using System.Globalization;
using System.Text;

namespace OpenSslTls.Benchmarks.Charts;

/// <summary>
/// Draws one <see cref="ChartSpec"/> as a self-contained SVG: horizontal bars grouped by scenario (labels on the left),
/// one colour per implementation with a legend, each bar labelled with its value, an x axis from zero with ticks and
/// grid lines, the unit under it. A scenario without a figure for an implementation gets no bar but an "n/a" mark, so
/// a missing measurement never looks like a zero. Text widths are estimated (no font metrics in a bench), generously.
/// </summary>
internal static class SvgBarChart
{
    private const double CharWidth = 6.8;
    private const double BarHeight = 14;
    private const double BarGap = 3;
    private const double GroupGap = 14;
    private const double PlotWidth = 520;
    private const double Margin = 16;

    /// <summary>Tableau 10: distinguishable, also in grey scale; implementation i gets colour i.</summary>
    private static readonly string[] s_palette =
        ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    /// <summary>The SVG text of <paramref name="spec"/> over the figures of its metric in <paramref name="figures"/> (others are ignored).</summary>
    public static string Render(ChartSpec spec, IEnumerable<BenchFigure> figures, string? footnote = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(figures);
        BenchFigure[] all = [.. figures.Where(f => f.Implementation != BenchFigure.Run)];
        BenchFigure[] mine = [.. all.Where(f => f.Metric == spec.Metric)];

        // Colours follow the implementations' order in the whole file, so one implementation has one colour in every chart of a run.
        List<string> colourOrder = [.. all.Select(f => f.Implementation).Distinct()];
        string[] scenarios = [.. mine.Select(f => f.Scenario).Distinct()];
        string[] implementations = [.. mine.Select(f => f.Implementation).Distinct()];
        var values = new Dictionary<(string, string), double>();
        foreach (BenchFigure figure in mine)
        {
            values[(figure.Scenario, figure.Implementation)] = figure.Value / spec.Divisor;
        }

        var unstable = all.Where(f => f.Metric == BenchFigure.Unstable).Select(f => f.Scenario).ToHashSet();
        string unit = spec.DisplayUnit ?? mine.Select(f => f.Unit).FirstOrDefault() ?? string.Empty;
        double largest = Math.Max(values.Values.DefaultIfEmpty(0).Max(), spec.ReferenceLine ?? 0);
        (double axisMax, double step) = Axis(largest);

        string GroupLabel(string scenario) => unstable.Contains(scenario) ? scenario + " (unstable)" : scenario;
        double labelWidth = Math.Clamp((scenarios.DefaultIfEmpty(string.Empty).Max(s => GroupLabel(s).Length) * CharWidth) + 12, 80, 380);
        double plotLeft = Margin + labelWidth;
        double width = plotLeft + PlotWidth + 90;
        string better = spec.HigherIsBetter switch { true => "higher is better", false => "lower is better", null => string.Empty };
        string subtitle = better.Length == 0 ? unit : $"{unit} ({better})";

        // Legend rows: as many swatches per row as fit the width.
        var legend = new List<(string Name, double X, double Y, int Index)>();
        double legendX = Margin;
        double legendY = 62;
        for (int i = 0; i < implementations.Length; i++)
        {
            double itemWidth = 18 + (implementations[i].Length * CharWidth) + 18;
            if (legendX + itemWidth > width - Margin && legendX > Margin)
            {
                legendX = Margin;
                legendY += 18;
            }

            legend.Add((implementations[i], legendX, legendY, colourOrder.IndexOf(implementations[i])));
            legendX += itemWidth;
        }

        double plotTop = legendY + 20;
        double groupHeight = (implementations.Length * BarHeight) + (Math.Max(0, implementations.Length - 1) * BarGap);
        double plotHeight = scenarios.Length == 0 ? 20 : (scenarios.Length * groupHeight) + ((scenarios.Length + 1) * GroupGap);
        double plotBottom = plotTop + plotHeight;
        bool anyUnstable = scenarios.Any(unstable.Contains);
        double height = plotBottom + 48 + (footnote is null ? 0 : 18) + (anyUnstable ? 16 : 0);

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<title>{Escape(spec.Title)}</title>\n"));
        svg.Append(Invariant($"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"#ffffff\"/>\n"));
        svg.Append(Invariant($"<text class=\"title\" x=\"{N(Margin)}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{Escape(spec.Title)}</text>\n"));
        svg.Append(Invariant($"<text class=\"subtitle\" x=\"{N(Margin)}\" y=\"44\" fill=\"#555555\">{Escape(subtitle)}</text>\n"));
        foreach ((string name, double x, double y, int index) in legend)
        {
            svg.Append(Invariant($"<g class=\"legend\"><rect x=\"{N(x)}\" y=\"{N(y - 10)}\" width=\"12\" height=\"12\" fill=\"{Colour(index)}\"/><text x=\"{N(x + 17)}\" y=\"{N(y)}\">{Escape(name)}</text></g>\n"));
        }

        // Grid and axis.
        int ticks = (int)Math.Round(axisMax / step);
        for (int t = 0; t <= ticks; t++)
        {
            double tick = t * step;
            double x = plotLeft + (tick / axisMax * PlotWidth);
            svg.Append(Invariant($"<line class=\"grid\" x1=\"{N(x)}\" y1=\"{N(plotTop)}\" x2=\"{N(x)}\" y2=\"{N(plotBottom)}\" stroke=\"#e4e4e4\"/>\n"));
            svg.Append(Invariant($"<text class=\"tick\" x=\"{N(x)}\" y=\"{N(plotBottom + 16)}\" text-anchor=\"middle\" fill=\"#333333\">{Escape(TickLabel(tick, step))}</text>\n"));
        }

        svg.Append(Invariant($"<line class=\"axis\" x1=\"{N(plotLeft)}\" y1=\"{N(plotBottom)}\" x2=\"{N(plotLeft + PlotWidth)}\" y2=\"{N(plotBottom)}\" stroke=\"#333333\"/>\n"));
        svg.Append(Invariant($"<line class=\"axis\" x1=\"{N(plotLeft)}\" y1=\"{N(plotTop)}\" x2=\"{N(plotLeft)}\" y2=\"{N(plotBottom)}\" stroke=\"#333333\"/>\n"));
        svg.Append(Invariant($"<text class=\"axis-title\" x=\"{N(plotLeft + (PlotWidth / 2))}\" y=\"{N(plotBottom + 34)}\" text-anchor=\"middle\">{Escape(unit)}</text>\n"));

        for (int g = 0; g < scenarios.Length; g++)
        {
            double groupTop = plotTop + GroupGap + (g * (groupHeight + GroupGap));
            bool pale = unstable.Contains(scenarios[g]);
            svg.Append(Invariant($"<text class=\"scenario\" x=\"{N(plotLeft - 8)}\" y=\"{N(groupTop + (groupHeight / 2) + 4)}\" text-anchor=\"end\"{(pale ? " fill=\"#c00000\"" : string.Empty)}>{Escape(GroupLabel(scenarios[g]))}</text>\n"));
            for (int i = 0; i < implementations.Length; i++)
            {
                double y = groupTop + (i * (BarHeight + BarGap));
                if (!values.TryGetValue((scenarios[g], implementations[i]), out double value))
                {
                    svg.Append(Invariant($"<text class=\"missing\" x=\"{N(plotLeft + 4)}\" y=\"{N(y + BarHeight - 3)}\" fill=\"#888888\" font-size=\"10\">{Escape(implementations[i])}: n/a</text>\n"));
                    continue;
                }

                double barWidth = Math.Max(0, value) / axisMax * PlotWidth;
                string text = Label(value);
                svg.Append(Invariant($"<rect class=\"bar\" data-scenario=\"{Escape(scenarios[g])}\" data-implementation=\"{Escape(implementations[i])}\" data-value=\"{value.ToString("R", CultureInfo.InvariantCulture)}\" x=\"{N(plotLeft)}\" y=\"{N(y)}\" width=\"{N(barWidth)}\" height=\"{N(BarHeight)}\" fill=\"{Colour(colourOrder.IndexOf(implementations[i]))}\"{(pale ? " fill-opacity=\"0.35\"" : string.Empty)}><title>{Escape($"{scenarios[g]}, {implementations[i]}: {text} {unit}")}</title></rect>\n"));
                svg.Append(Invariant($"<text class=\"value\" x=\"{N(plotLeft + barWidth + 4)}\" y=\"{N(y + BarHeight - 3)}\" font-size=\"11\">{Escape(text)}</text>\n"));
            }
        }

        if (spec.ReferenceLine is { } reference)
        {
            double x = plotLeft + (reference / axisMax * PlotWidth);
            svg.Append(Invariant($"<line class=\"reference\" x1=\"{N(x)}\" y1=\"{N(plotTop)}\" x2=\"{N(x)}\" y2=\"{N(plotBottom)}\" stroke=\"#c00000\" stroke-dasharray=\"5,4\"/>\n"));
        }

        if (footnote is not null)
        {
            svg.Append(Invariant($"<text class=\"footnote\" x=\"{N(Margin)}\" y=\"{N(plotBottom + 58)}\" fill=\"#555555\" font-size=\"10\">{Escape(footnote)}</text>\n"));
        }

        if (anyUnstable)
        {
            svg.Append(Invariant($"<text class=\"footnote\" x=\"{N(Margin)}\" y=\"{N(plotBottom + 58 + (footnote is null ? 0 : 16))}\" fill=\"#c00000\" font-size=\"10\">Pale bars, \"unstable\": the machine changed speed while that scenario was measured; do not read a ratio off them.</text>\n"));
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>The axis end and tick step: 1, 2, 2.5, 5 or 10 times a power of ten, the one nearest a fifth of the largest value; the end is the first step at or past it.</summary>
    internal static (double Max, double Step) Axis(double largest)
    {
        if (!(largest > 0) || double.IsInfinity(largest))
        {
            return (1, 0.2);
        }

        double raw = largest / 5;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double residual = raw / magnitude;
        double step = magnitude * residual switch { < 1.5 => 1, < 2.25 => 2, < 3.5 => 2.5, < 7.5 => 5, _ => 10 };
        return (Math.Ceiling((largest / step) - 1e-9) * step, step);
    }

    /// <summary>A bar's label: whole numbers from 1000 on (thousands grouped), one decimal from 10 on, as the tables print, else three decimals (ratios).</summary>
    internal static string Label(double value) => value.ToString(
        Math.Abs(value) switch { >= 1000 => "N0", >= 10 => "N1", 0 => "N0", _ => "N3" },
        CultureInfo.InvariantCulture);

    /// <summary>A tick's label: as many decimals as the step needs (0.25 → 2), thousands grouped.</summary>
    internal static string TickLabel(double tick, double step)
    {
        int decimals = 0;
        while (decimals < 6 && Math.Abs((step * Math.Pow(10, decimals)) - Math.Round(step * Math.Pow(10, decimals))) > 1e-6)
        {
            decimals++;
        }

        return tick.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static string Colour(int index) => s_palette[index % s_palette.Length];

    private static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => text
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&quot;", StringComparison.Ordinal);
}
