using OpenSslTls.Interop;

namespace OpenSslTls.Tests.Engines;

/// <summary>
/// The tests that use the SoftHSM token share it (one token per test process). ENGINE state is process-global in
/// OpenSSL, so these tests run one after another and each one disposes its engine and profiles before it ends.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsmToken>
{
    public const string Name = "SoftHSM token";
}
