using System.Text;
using OpenSslTls.Fuzz;
using OpenSslTls.SipEndpoint.Sip;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Tests.Reliability;

/// <summary>
/// Replays the fuzz seed corpus (tests/OpenSslTls.Fuzz/corpus/&lt;target&gt;) and every fuzz finding kept as a regression
/// input (tests/OpenSslTls.Tests/Reliability/FuzzFindings/&lt;target&gt;) through the same checks the SharpFuzz targets
/// make: the readers may only throw <see cref="TlsConfigurationException"/>, the record path may only fail, and the
/// SIP stream may only frame, answer or end in the framer's rejection, with every reply framable (<see cref="SipStreamCheck"/>).
/// </summary>
public sealed class FuzzCorpusReplayTests : NativeLeakCheck
{
    public static TheoryData<string> Targets => new() { "tlscfg", "modparam", "record", "sip", "x509" };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_and_finding_passes_the_target_check(string target)
    {
        List<string> files = [.. Inputs(Path.Combine(RepositoryPaths.Root, "tests", "OpenSslTls.Fuzz", "corpus", target)),
            .. Inputs(Path.Combine(RepositoryPaths.Root, "tests", "OpenSslTls.Tests", "Reliability", "FuzzFindings", target))];
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            byte[] input = File.ReadAllBytes(file);
            switch (target)
            {
                case "tlscfg":
                    ParseTlsCfg(input);
                    break;
                case "modparam":
                    ParseModparams(input);
                    break;
                case "sip":
                    SipStreamCheck.Run(input, new SipResponder(new ToTagGenerator(0x5eed)));
                    break;
                case "x509":
                    ReadCertificate(input);
                    break;
                default:
                    FeedServer(input);
                    break;
            }
        }
    }

    /// <summary>As the x509 target: DER in PEM armour, read as a peer certificate; OpenSSL may only refuse it.</summary>
    internal static void ReadCertificate(byte[] input)
    {
        string pem = "-----BEGIN CERTIFICATE-----\n" + Convert.ToBase64String(input, Base64FormattingOptions.InsertLineBreaks) + "\n-----END CERTIFICATE-----\n";
        try
        {
            Assert.NotNull(OpenSslTls.Certificates.TlsCertificateInfo.FromPem(pem).Subject);
        }
        catch (OpenSslException)
        {
        }
    }

    internal static void ParseTlsCfg(byte[] input)
    {
        try
        {
            TlsConfigReader.Parse(Encoding.UTF8.GetString(input), "fuzz.cfg", Path.Combine(Path.GetTempPath(), "openssltls-fuzz-missing"));
        }
        catch (TlsConfigurationException e)
        {
            Assert.NotEmpty(e.Errors);
        }
    }

    internal static void ParseModparams(byte[] input)
    {
        try
        {
            TlsModuleOptionsReader.ApplyModparams(new TlsModuleOptions(), Encoding.UTF8.GetString(input), "fuzz.cfg");
        }
        catch (TlsConfigurationException e)
        {
            Assert.NotEmpty(e.Errors);
        }
    }

    /// <summary>As the record target: byte 0 is the chunk size (0 = all at once), the rest the client's byte stream.</summary>
    internal static void FeedServer(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = TestPki.Instance.ServerEcCertificate,
            PrivateKey = TestPki.Instance.ServerEcKey,
            CaList = TestPki.Instance.RootCaCertificate,
            VerifyClient = VerifyClientMode.Optional,
        });
        using TlsConnection server = profile.CreateConnection();
        TlsStatus last = HostileRecordTests.Feed(server, input.AsSpan(1), input[0] == 0 ? int.MaxValue : input[0]);
        HostileRecordTests.AssertConsistent(server, last);
    }

    private static IEnumerable<string> Inputs(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : [];
}
