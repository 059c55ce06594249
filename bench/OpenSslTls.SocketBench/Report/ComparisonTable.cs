using System.Globalization;
using System.Text;

namespace OpenSslTls.SocketBench.Report;

/// <summary>The Markdown table the benchmark prints: one row per figure, OpenSslTls (serve) beside SslStream and their ratio.</summary>
internal sealed class ComparisonTable
{
    private readonly StringBuilder _rows = new();

    public const string Header =
        "| figure | unit | OpenSslTls (`serve`) | SslStream | OpenSslTls ÷ SslStream |\n|---|---|---:|---:|---:|";

    /// <summary>Adds a row; <paramref name="format"/> is how both values print (e.g. F1).</summary>
    public void Add(string figure, string unit, double openSslTls, double sslStream, string format)
    {
        string ratio = sslStream != 0 ? (openSslTls / sslStream).ToString("F3", CultureInfo.InvariantCulture) : "–";
        _rows.Append(CultureInfo.InvariantCulture, $"| {figure} | {unit} | {openSslTls.ToString(format, CultureInfo.InvariantCulture)} | {sslStream.ToString(format, CultureInfo.InvariantCulture)} | {ratio} |\n");
    }

    public override string ToString() => Header + "\n" + _rows.ToString().TrimEnd('\n');
}
