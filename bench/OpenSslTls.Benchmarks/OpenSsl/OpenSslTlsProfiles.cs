using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;

namespace OpenSslTls.Benchmarks.OpenSsl;

/// <summary>The OpenSslTls profiles of a scenario: the same settings the C harness gives its SSL_CTXs.</summary>
internal static class OpenSslTlsProfiles
{
    public static TlsProfile Server(BenchPki pki, Scenario scenario) =>
        TlsProfile.Create(
            TlsRole.Server,
            new TlsProfileSettings
            {
                Method = Method(scenario),
                Certificate = pki.Certificate(scenario.Key),
                PrivateKey = pki.PrivateKey(scenario.Key),
                CipherSuites = scenario.Kind == ScenarioKind.Record ? scenario.CipherSuiteName : null,
                Groups = scenario.Group,
            },
            new TlsTuning
            {
                SessionCache = scenario.Kind == ScenarioKind.Resume,
                ReleaseBuffers = scenario.ReleaseBuffers,
            });

    public static TlsProfile Client(BenchPki pki, Scenario scenario)
    {
        TlsProfile profile = TlsProfile.Create(
            TlsRole.Client,
            new TlsProfileSettings
            {
                Method = Method(scenario),
                CaList = pki.RootCertificate,
                VerifyCertificate = true,
                CipherSuites = scenario.Kind == ScenarioKind.Record ? scenario.CipherSuiteName : null,
                Groups = scenario.Group,
            });
        if (scenario.Resumption == ResumptionMode.Tls12SessionId)
        {
            RefuseTickets(profile);
        }

        return profile;
    }

    private static TlsMethod Method(Scenario scenario) => scenario.Version == TlsVersion.Tls13 ? TlsMethod.TLSv1_3 : TlsMethod.TLSv1_2;

    /// <summary>
    /// OpenSslTls has no setting for "no session tickets" (with session_cache on the server offers both), so the
    /// session-id scenario sets SSL_OP_NO_TICKET on the client's context through the library's internals: the client
    /// then sends no ticket extension and the server resumes from its session-id cache.
    /// </summary>
    private static unsafe void RefuseTickets(TlsProfile profile) =>
        NativeMethods.Ssl.SSL_CTX_set_options(profile.Context.Pointer, NativeMethods.Ssl.SSL_OP_NO_TICKET);
}
