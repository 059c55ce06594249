using System.Globalization;
using System.Text;

namespace OpenSslTls.Benchmarks.Report;

/// <summary>The one comparison table both modes print (Markdown, so it can be pasted into docs/benchmarks.md as is).</summary>
internal static class ResultTable
{
    public static string Format(IEnumerable<ResultRow> rows, string title, string rateNote, IReadOnlyList<string>? notes = null)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## {title}");
        text.AppendLine();
        text.AppendLine("| scenario | unit | C | C mem-BIO | SslStream | OpenSslTls | ours/C | ours/C mem-BIO | ours/SslStream | managed B SslStream | managed B OpenSslTls |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ResultRow row in rows)
        {
            string better = row.HigherIsBetter ? "higher is better" : "lower is better";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Title} | {row.Unit} ({better}) | {Value(row.C)} | {Value(row.CMemBio)} | {Value(row.SslStream)} | {Value(row.Ours)} | {row.Unstable ?? row.OursToC?.ToString("F3", CultureInfo.InvariantCulture) ?? Ratio(row.Ours, row.C)} | {row.Unstable ?? row.OursToCMemBio?.ToString("F3", CultureInfo.InvariantCulture) ?? Ratio(row.Ours, row.CMemBio)} | {row.Unstable ?? row.OursToSslStream?.ToString("F3", CultureInfo.InvariantCulture) ?? Ratio(row.Ours, row.SslStream)} | {Value(row.SslStreamManaged)} | {Value(row.OursManaged)} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Rates: {rateNote}, on the process CPU clock. 'managed B': bytes allocated per operation (rates) or live managed bytes per connection (idle rows).");
        text.AppendLine("C: native/bench/tlsbench (libssl driven as OpenSslTls drives it: caller-buffer BIO); C mem-BIO: native/bench/membio (a plain program over BIO_s_mem pairs, SSL_read once per message); same SSL_CTX settings.");
        text.AppendLine("Idle rows: RSS = VmRSS growth per connection; heap = glibc malloc bytes in use + live managed bytes per connection.");
        text.AppendLine("SslStream has no release-buffers setting: both idle rows show its one measurement.");
        foreach (string note in notes ?? [])
        {
            text.AppendLine(note);
        }
        return text.ToString();
    }

    private static string Value(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "n/a";

    private static string Ratio(double? ours, double? other) =>
        ours is { } o && other is { } t && t != 0 ? (o / t).ToString("F3", CultureInfo.InvariantCulture) : "n/a";
}
