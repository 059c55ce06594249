using System.Xml.Linq;
using OpenSslTls.Benchmarks.Charts;

namespace OpenSslTls.Tests.Benchmarks;

/// <summary>
/// The benches' charts: a small figures CSV in, well-formed SVG out with one bar per figure of the charted metric, the
/// legend, the scenario labels and an "n/a" mark where a figure is missing; a new implementation in the CSV is a new
/// bar with no code change. The figures are made up: nothing here is a speed.
/// </summary>
public sealed class ChartRendererTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private const string Csv =
        "scenario,implementation,metric,value,unit\n" +
        "run,run,load-average-start,3.5,1-minute load average\n" +
        "record 512 B AES-128-GCM,C,record-rate,300,MB/s\n" +
        "record 512 B AES-128-GCM,SslStream,record-rate,150.5,MB/s\n" +
        "record 512 B AES-128-GCM,OpenSslTls,record-rate,250,MB/s\n" +
        "record 512 B AES-128-GCM,C mem-BIO,record-rate,330,MB/s\n" +
        "\"record 1400 B, \"\"pinned\"\"\",C,record-rate,600,MB/s\n" +
        "\"record 1400 B, \"\"pinned\"\"\",OpenSslTls,record-rate,500,MB/s\n" +
        "record 512 B AES-128-GCM,OpenSslTls,allocated-per-operation,0,B/op\n" +
        "\"idle server conn, release_buffers=1\",OpenSslTls,idle-rss,15770,B/conn\n" +
        "\"idle server conn, release_buffers=1\",SslStream,idle-rss,51200,B/conn\n" +
        "run,run,load-average-end,4.25,1-minute load average\n";

    [Fact]
    public void The_CSV_reads_back_what_was_written_quotes_and_commas_included()
    {
        IReadOnlyList<BenchFigure> figures = FigureCsv.Parse(Csv);

        Assert.Equal(11, figures.Count);
        Assert.Equal(new BenchFigure("record 1400 B, \"pinned\"", "C", "record-rate", 600, "MB/s"), figures[5]);
        Assert.Equal(figures, FigureCsv.Parse(FigureCsv.Format(figures)));
        Assert.Equal(Csv, FigureCsv.Format(figures));
    }

    [Fact]
    public void A_file_without_the_header_or_with_a_bad_value_is_refused()
    {
        Assert.Throws<FormatException>(() => FigureCsv.Parse("a,b,c,d,e\n"));
        Assert.Throws<FormatException>(() => FigureCsv.Parse(FigureCsv.Header + "\nx,y,z,fast,MB/s\n"));
        Assert.Throws<FormatException>(() => FigureCsv.Parse(FigureCsv.Header + "\nx,y,z,1\n"));
    }

    [Fact]
    public void The_records_chart_has_a_labelled_bar_per_figure_a_legend_an_axis_and_marks_the_missing_one()
    {
        ChartSpec spec = ChartCatalog.All.Single(s => s.Metric == ChartCatalog.RecordRate);
        XDocument svg = XDocument.Parse(SvgBarChart.Render(spec, FigureCsv.Parse(Csv), "footnote: load 3.5"));

        Assert.Equal(Svg + "svg", svg.Root!.Name);
        XElement[] bars = [.. svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar")];
        Assert.Equal(6, bars.Length);
        Assert.Equal(
            ["record 512 B AES-128-GCM/C/300", "record 512 B AES-128-GCM/SslStream/150.5", "record 512 B AES-128-GCM/OpenSslTls/250",
                "record 512 B AES-128-GCM/C mem-BIO/330", "record 1400 B, \"pinned\"/C/600", "record 1400 B, \"pinned\"/OpenSslTls/500"],
            bars.Select(b => $"{b.Attribute("data-scenario")!.Value}/{b.Attribute("data-implementation")!.Value}/{b.Attribute("data-value")!.Value}"));

        // Longer bars for larger values, on one scale; one colour per implementation.
        double Width(string scenario, string implementation) => double.Parse(
            bars.Single(b => b.Attribute("data-scenario")!.Value == scenario && b.Attribute("data-implementation")!.Value == implementation).Attribute("width")!.Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(2 * Width("record 512 B AES-128-GCM", "C"), Width("record 1400 B, \"pinned\"", "C"), 1);
        Assert.Equal(4, bars.Select(b => b.Attribute("fill")!.Value).Distinct().Count());

        string[] texts = [.. svg.Descendants(Svg + "text").Select(t => t.Value)];
        Assert.Contains(spec.Title, texts);
        Assert.Contains("MB/s (higher is better)", texts);
        Assert.Equal(["C", "SslStream", "OpenSslTls", "C mem-BIO"], svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "legend").Select(g => g.Value));
        Assert.Contains("record 512 B AES-128-GCM", texts);
        Assert.Contains("record 1400 B, \"pinned\"", texts);
        Assert.Contains("150.5", texts);
        Assert.Contains("330.0", texts);
        Assert.Contains("SslStream: n/a", texts);
        Assert.Contains("C mem-BIO: n/a", texts);
        Assert.Contains("footnote: load 3.5", texts);

        // The axis: ticks from 0 to the first round value past the largest bar (600 → 0, 100, ..., 600).
        string[] ticks = [.. svg.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "tick").Select(t => t.Value)];
        Assert.Equal(["0", "100", "200", "300", "400", "500", "600"], ticks);
    }

    [Fact]
    public void Drawing_a_set_writes_one_file_per_charted_metric_it_holds_and_scales_bytes_to_KiB()
    {
        string directory = Directory.CreateTempSubdirectory("openssltls-charts-").FullName;
        try
        {
            IReadOnlyList<string> written = ChartSet.Draw(FigureCsv.Parse(Csv), directory, "quick", "quick.csv");

            Assert.Equal(["quick-records.svg", "quick-memory-rss.svg"], written.Select(Path.GetFileName));
            XDocument memory = XDocument.Load(Path.Combine(directory, "quick-memory-rss.svg"));
            XElement[] bars = [.. memory.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar")];
            Assert.Equal(["15.400390625", "50"], bars.Select(b => b.Attribute("data-value")!.Value));
            string[] texts = [.. memory.Descendants(Svg + "text").Select(t => t.Value)];
            Assert.Contains("KiB per connection (lower is better)", texts);
            Assert.Contains("Drawn by the bench from quick.csv; 1-minute load average 3.50 at the start, 4.25 at the end.", texts);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(946, 1000, 200)]
    [InlineData(1.155, 1.25, 0.25)]
    [InlineData(0.0042, 0.005, 0.001)]
    [InlineData(51.2, 60, 10)]
    [InlineData(600, 600, 100)]
    [InlineData(0, 1, 0.2)]
    public void The_axis_ends_on_a_round_step_at_or_past_the_largest_value(double largest, double max, double step)
    {
        (double axisMax, double axisStep) = SvgBarChart.Axis(largest);

        Assert.Equal(max, axisMax, 9);
        Assert.Equal(step, axisStep, 9);
    }

    [Fact]
    public void Text_is_escaped_so_any_scenario_name_keeps_the_file_well_formed()
    {
        BenchFigure[] figures = [new("a <b> & \"c\"", "x&y", ChartCatalog.HandshakeRate, 1, "handshakes/s")];

        XDocument svg = XDocument.Parse(SvgBarChart.Render(ChartCatalog.All.Single(s => s.Metric == ChartCatalog.HandshakeRate), figures));

        Assert.Contains("a <b> & \"c\"", svg.Descendants(Svg + "text").Select(t => t.Value));
        Assert.Equal("x&y", svg.Descendants(Svg + "rect").Single(r => (string?)r.Attribute("class") == "bar").Attribute("data-implementation")!.Value);
    }

    [Fact]
    public void A_scenario_marked_unstable_is_drawn_pale_and_labelled_so()
    {
        BenchFigure[] figures =
        [
            new("record 1400 B", "C", ChartCatalog.RecordRate, 296, "MB/s"),
            new("record 1400 B", "OpenSslTls", ChartCatalog.RecordRate, 453, "MB/s"),
            new("record 1400 B", "C", BenchFigure.Unstable, 52, "%"),
            new("record 512 B", "C", ChartCatalog.RecordRate, 300, "MB/s"),
            new("record 512 B", "OpenSslTls", ChartCatalog.RecordRate, 250, "MB/s"),
        ];

        XDocument svg = XDocument.Parse(SvgBarChart.Render(ChartCatalog.All.Single(s => s.Metric == ChartCatalog.RecordRate), figures));

        XElement[] bars = [.. svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar")];
        Assert.Equal(["0.35", "0.35", null, null], bars.Select(b => (string?)b.Attribute("fill-opacity")));
        string[] labels = [.. svg.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "scenario").Select(t => t.Value)];
        Assert.Equal(["record 1400 B (unstable)", "record 512 B"], labels);
        Assert.Contains(svg.Descendants(Svg + "text"), t => t.Value.StartsWith("Pale bars, \"unstable\"", StringComparison.Ordinal));
    }
}
