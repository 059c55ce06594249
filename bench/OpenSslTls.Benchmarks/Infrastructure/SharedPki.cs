namespace OpenSslTls.Benchmarks.Infrastructure;

/// <summary>
/// The PKI of a BenchmarkDotNet process: the full suite creates one and passes its directory in
/// <see cref="Variable"/> to the benchmark processes BenchmarkDotNet starts; run alone, a benchmark makes its own.
/// </summary>
internal static class SharedPki
{
    public const string Variable = "OPENSSLTLS_BENCH_PKI";

    public static BenchPki Get() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } directory && Directory.Exists(directory)
            ? BenchPki.Open(directory)
            : BenchPki.Create();
}
