using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.OpenSsl;
using OpenSslTls.Benchmarks.SslStreams;

namespace OpenSslTls.Benchmarks;

/// <summary>Creates the operation of a rate scenario for an implementation.</summary>
internal static class Operations
{
    public static IBenchOperation Create(Implementation implementation, Scenario scenario, BenchPki pki) => (implementation, scenario.Kind) switch
    {
        (Implementation.OpenSslTls, ScenarioKind.Record) => new OpenSslTlsRecordOperation(pki, scenario),
        (Implementation.OpenSslTls, ScenarioKind.Handshake or ScenarioKind.Resume) => new OpenSslTlsHandshakeOperation(pki, scenario),
        (Implementation.SslStream, ScenarioKind.Record) => new SslStreamRecordOperation(pki, scenario),
        (Implementation.SslStream, ScenarioKind.Handshake or ScenarioKind.Resume) => new SslStreamHandshakeOperation(pki, scenario),
        _ => throw new ArgumentException($"{scenario.Id} is not a rate scenario"),
    };
}
