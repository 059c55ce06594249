using BenchmarkDotNet.Attributes;
using OpenSslTls.Benchmarks.Infrastructure;

namespace OpenSslTls.Benchmarks.Benchmarks;

/// <summary>The two managed implementations of one scenario side by side; subclasses say which scenario from their parameters.</summary>
[MemoryDiagnoser]
public abstract class ComparisonBenchmark
{
    private BenchPki? _pki;
    private IBenchOperation? _ours;
    private IBenchOperation? _sslStream;

    [GlobalSetup]
    public void Setup()
    {
        _pki = SharedPki.Get();
        Scenario scenario = CreateScenario();
        _sslStream = Operations.Create(Implementation.SslStream, scenario, _pki);
        _ours = Operations.Create(Implementation.OpenSslTls, scenario, _pki);
        Console.WriteLine($"// {scenario.Id} SslStream: {_sslStream.Description}");
        Console.WriteLine($"// {scenario.Id} OpenSslTls: {_ours.Description}");
    }

    [Benchmark(Baseline = true)]
    public void SslStream() => _sslStream!.Run();

    [Benchmark]
    public void OpenSslTls() => _ours!.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _sslStream?.Verify();
        _ours?.Verify();
        _sslStream?.Dispose();
        _ours?.Dispose();
        _pki?.Dispose();
    }

    public abstract Scenario CreateScenario();
}
