using System.Globalization;
using System.Text;

namespace OpenSslTls.Benchmarks.Charts;

/// <summary>
/// The CSV file of <see cref="BenchFigure"/> rows: a header <c>scenario,implementation,metric,value,unit</c>, then one
/// row per figure, fields quoted as RFC 4180 says when they hold a comma, a quote or a line break, the value in the
/// invariant culture with all its digits (the file is the source the charts are drawn from, so it rounds nothing).
/// </summary>
internal static class FigureCsv
{
    public const string Header = "scenario,implementation,metric,value,unit";

    public static string Format(IEnumerable<BenchFigure> figures)
    {
        ArgumentNullException.ThrowIfNull(figures);
        var text = new StringBuilder();
        text.Append(Header).Append('\n');
        foreach (BenchFigure figure in figures)
        {
            text.Append(Field(figure.Scenario)).Append(',')
                .Append(Field(figure.Implementation)).Append(',')
                .Append(Field(figure.Metric)).Append(',')
                .Append(figure.Value.ToString("R", CultureInfo.InvariantCulture)).Append(',')
                .Append(Field(figure.Unit)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Writes the file, creating its directory.</summary>
    public static void Write(string path, IEnumerable<BenchFigure> figures)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, Format(figures));
    }

    public static IReadOnlyList<BenchFigure> Read(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses the text <see cref="Format"/> makes; throws <see cref="FormatException"/> on anything else.</summary>
    public static IReadOnlyList<BenchFigure> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<List<string>> records = Records(text);
        if (records.Count == 0 || string.Join(',', records[0]) != Header)
        {
            throw new FormatException($"not a bench figure file: the first line must be '{Header}'");
        }

        var figures = new List<BenchFigure>();
        for (int i = 1; i < records.Count; i++)
        {
            List<string> fields = records[i];
            if (fields.Count != 5)
            {
                throw new FormatException($"record {i + 1}: {fields.Count} fields, expected 5");
            }

            if (!double.TryParse(fields[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw new FormatException($"record {i + 1}: value '{fields[3]}' is not a number");
            }

            figures.Add(new BenchFigure(fields[0], fields[1], fields[2], value, fields[4]));
        }

        return figures;
    }

    private static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Splits RFC 4180 text into records of fields (quoted fields may hold commas, doubled quotes and line breaks); blank lines are skipped.</summary>
    private static List<List<string>> Records(string text)
    {
        var records = new List<List<string>>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        bool any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    quoted = true;
                    any = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    any = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    break;
                default:
                    field.Append(c);
                    any = true;
                    break;
            }
        }

        if (quoted)
        {
            throw new FormatException("unterminated quoted field");
        }

        EndRecord();
        return records;

        void EndRecord()
        {
            if (any)
            {
                fields.Add(field.ToString());
                records.Add(fields);
            }

            fields = [];
            field.Clear();
            any = false;
        }
    }
}
