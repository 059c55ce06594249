namespace OpenSslTls.Benchmarks;

/// <summary>The managed implementations under test (the C harness runs in its own process).</summary>
internal enum Implementation
{
    SslStream,
    OpenSslTls,
}
