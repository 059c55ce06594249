namespace OpenSslTls.Benchmarks.Memory;

/// <summary>Which library's server connections the idle-memory probe keeps.</summary>
internal enum IdleImplementation
{
    OpenSslTls,
    SslStream,
}
