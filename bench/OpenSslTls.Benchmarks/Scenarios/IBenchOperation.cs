namespace OpenSslTls.Benchmarks;

/// <summary>One implementation set up for one scenario: <see cref="Run"/> performs one operation (a handshake, or one message).</summary>
public interface IBenchOperation : IDisposable
{
    /// <summary>What was negotiated, for the log (e.g. protocol, cipher, resumption, bytes on the wire).</summary>
    string Description { get; }

    void Run();

    /// <summary>Throws if the operation no longer does what was measured (e.g. resumption silently fell back to full handshakes).</summary>
    void Verify();
}
