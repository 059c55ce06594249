namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>
/// A measured rate in the scenario's unit (median of per-CPU-second samples), the managed bytes allocated per
/// operation (all threads; null for the C harness), and the samples (per CPU second, and per wall second for the log).
/// </summary>
internal sealed record RateResult(double Value, double? AllocatedBytesPerOperation, IReadOnlyList<double> Samples, IReadOnlyList<double> WallSamples);
