using System.Globalization;

namespace OpenSslTls.Benchmarks.Charts;

/// <summary>
/// Draws every <see cref="ChartCatalog"/> chart a set of figures holds into a directory, as <c>PREFIX-NAME.svg</c>, with
/// a footnote naming the CSV the figures come from and the load average the run recorded.
/// </summary>
internal static class ChartSet
{
    /// <summary>Metric of the run rows holding the 1-minute load average at the start and the end.</summary>
    public const string LoadAtStart = "load-average-start";

    /// <summary>See <see cref="LoadAtStart"/>.</summary>
    public const string LoadAtEnd = "load-average-end";

    /// <summary>Writes the charts; returns the paths written (none when no charted metric is present).</summary>
    public static IReadOnlyList<string> Draw(IReadOnlyList<BenchFigure> figures, string directory, string prefix, string source)
    {
        ArgumentNullException.ThrowIfNull(figures);
        Directory.CreateDirectory(directory);
        string footnote = Footnote(figures, source);
        var written = new List<string>();
        foreach (ChartSpec spec in ChartCatalog.All)
        {
            if (!figures.Any(f => f.Metric == spec.Metric && f.Implementation != BenchFigure.Run))
            {
                continue;
            }

            string path = Path.Combine(directory, $"{prefix}-{spec.FileName}.svg");
            File.WriteAllText(path, SvgBarChart.Render(spec, figures, footnote));
            written.Add(path);
        }

        return written;
    }

    /// <summary>Writes the CSV, then draws its charts; logs what it wrote to <paramref name="log"/>.</summary>
    public static void Save(IReadOnlyList<BenchFigure> figures, string csvPath, string? chartDirectory, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        FigureCsv.Write(csvPath, figures);
        log.WriteLine($"# figures: {csvPath} ({figures.Count} rows)");
        if (chartDirectory is null)
        {
            return;
        }

        string prefix = Path.GetFileNameWithoutExtension(csvPath);
        foreach (string chart in Draw(figures, chartDirectory, prefix, Path.GetFileName(csvPath)))
        {
            log.WriteLine($"# chart: {chart}");
        }
    }

    /// <summary>Metric of the run row holding the number of CPUs the bench could use.</summary>
    public const string Processors = "processors";

    /// <summary>The run rows a bench adds when it starts: the load average and the CPUs it may use.</summary>
    public static IEnumerable<BenchFigure> RunStart() =>
    [
        new(BenchFigure.Run, BenchFigure.Run, LoadAtStart, ReadLoadAverage(), "1-minute load average"),
        new(BenchFigure.Run, BenchFigure.Run, Processors, Environment.ProcessorCount, "CPUs"),
    ];

    /// <summary>The run row a bench adds when it ends: the load average.</summary>
    public static BenchFigure RunEnd() => new(BenchFigure.Run, BenchFigure.Run, LoadAtEnd, ReadLoadAverage(), "1-minute load average");

    private static double ReadLoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    private static string Footnote(IReadOnlyList<BenchFigure> figures, string source)
    {
        string Load(string metric) => figures.FirstOrDefault(f => f.Implementation == BenchFigure.Run && f.Metric == metric) is { } f && !double.IsNaN(f.Value)
            ? f.Value.ToString("F2", CultureInfo.InvariantCulture)
            : "?";
        string cpus = figures.FirstOrDefault(f => f.Implementation == BenchFigure.Run && f.Metric == Processors) is { } p
            ? $", {p.Value.ToString("F0", CultureInfo.InvariantCulture)} CPUs usable"
            : string.Empty;
        return $"Drawn by the bench from {source}; 1-minute load average {Load(LoadAtStart)} at the start, {Load(LoadAtEnd)} at the end{cpus}.";
    }
}
