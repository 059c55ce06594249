using System.Globalization;

namespace OpenSslTls.Tests.Support;

/// <summary>What a <see cref="GoodClientProbe"/> saw: rounds answered, the failures in words, and round latencies.</summary>
internal sealed record ProbeReport(int Answered, IReadOnlyList<string> Failures, TimeSpan MedianLatency, TimeSpan MaxLatency)
{
    public string Summary => string.Create(
        CultureInfo.InvariantCulture,
        $"good client: {Answered} rounds answered, {Failures.Count} failed, round latency median {MedianLatency.TotalMilliseconds:0} ms, max {MaxLatency.TotalMilliseconds:0} ms");

    /// <summary>Fails unless every round was answered, there were at least <paramref name="minimumRounds"/>, and none took longer than <paramref name="maximumLatency"/>.</summary>
    public void AssertServed(int minimumRounds, TimeSpan maximumLatency)
    {
        Assert.True(Failures.Count == 0, Summary + Environment.NewLine + string.Join(Environment.NewLine, Failures));
        Assert.True(Answered >= minimumRounds, $"{Summary}; expected at least {minimumRounds} rounds");
        Assert.True(MaxLatency <= maximumLatency, $"{Summary}; expected every round within {maximumLatency.TotalSeconds:0.#} s");
    }
}
