using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.Benchmarks.Suites;

/// <summary>
/// <c>--sip-parse</c>: the cost of framing and parsing one 64 KiB header section folded over ~21,800 continuation lines
/// (the issue-15 case, quadratic before: ~0.12 s per message) beside an unfolded section of the same size. Stopwatch
/// loops, median of several samples, microseconds per message; a benchmark to read, not a timed test.
/// </summary>
internal static class SipParseMode
{
    private const int Continuations = 21_800;
    private const int Samples = 7;
    private static readonly TimeSpan s_sampleLength = TimeSpan.FromMilliseconds(300);

    public static int Run()
    {
        byte[] folded = Encoding.ASCII.GetBytes("OPTIONS sip:a SIP/2.0\r\nSubject: a\n" + string.Concat(Enumerable.Repeat(" b\n", Continuations)) + "l: 0\r\n\r\n");
        string head = "OPTIONS sip:a SIP/2.0\r\nSubject: a";
        string tail = "\nl: 0\r\n\r\n";
        byte[] unfolded = Encoding.ASCII.GetBytes(head + new string('b', folded.Length - head.Length - tail.Length) + tail);
        var lifted = new SipFramingLimits { MaxContinuationLines = int.MaxValue };

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"header sections of {folded.Length} bytes; median of {Samples} samples of {s_sampleLength.TotalMilliseconds} ms"));
        Console.WriteLine("case                                             µs/message");
        Row("unfolded: parse", () => Parse(unfolded, null));
        Row("folded, continuation cap lifted: parse", () => Parse(folded, lifted));
        Row("folded, default cap: parse (refused)", () => Parse(folded, null));
        Row("unfolded: frame + parse", () => FrameAndParse(unfolded, SipFramingLimits.Default));
        Row("folded, continuation cap lifted: frame + parse", () => FrameAndParse(folded, lifted));
        Row("folded, default cap: frame (refused)", () => FrameAndParse(folded, SipFramingLimits.Default));
        return 0;
    }

    private static int Parse(byte[] section, SipFramingLimits? limits) =>
        SipMessageHead.TryParse(section, out _, limits)?.Headers.Count ?? -1;

    private static int FrameAndParse(byte[] section, SipFramingLimits limits)
    {
        using var framer = new SipFramer(limits);
        framer.Append(section);
        if (!framer.TryRead(out SipFrame frame) || frame.Kind != SipFrameKind.Message)
        {
            return -1;
        }

        return SipMessageHead.TryParse(frame.Header.Span, out _, limits)?.Headers.Count ?? -1;
    }

    private static void Row(string name, Func<int> operation)
    {
        operation(); // warm-up and JIT
        var perMessage = new List<double>();
        for (int sample = 0; sample < Samples; sample++)
        {
            int count = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < s_sampleLength)
            {
                operation();
                count++;
            }

            perMessage.Add(clock.Elapsed.TotalMicroseconds / count);
        }

        perMessage.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-48} {perMessage[Samples / 2],10:F1}"));
    }
}
