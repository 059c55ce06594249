using System.Buffers;
using System.Text;
using OpenSslTls.Reliability;
using OpenSslTls.SipEndpoint.Sip;
using SharpFuzz;
using OpenSslTls.Configuration;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Fuzz;

/// <summary>
/// SharpFuzz entry point. <c>OpenSslTls.Fuzz &lt;target&gt;</c> runs the target under AFL++ (afl-fuzz starts it; see
/// <c>./build.sh fuzz</c>). <c>OpenSslTls.Fuzz &lt;target&gt; --replay &lt;file or directory&gt;...</c> runs inputs once each
/// without AFL (to check a corpus or reproduce a crash). <c>OpenSslTls.Fuzz seeds &lt;corpus directory&gt;</c> writes the
/// seed ClientHellos of the record target. Targets: <c>tlscfg</c>, <c>modparam</c>, <c>record</c>, <c>sip</c>, <c>x509</c>.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            return Usage();
        }

        if (args[0] == "seeds" && args.Length == 2)
        {
            RecordSeeds.Write(args[1]);
            return 0;
        }

        using ITarget? target = CreateTarget(args[0]);
        if (target is null)
        {
            return Usage();
        }

        if (args.Length >= 2 && args[1] == "--replay")
        {
            return Replay(target, args.Skip(2));
        }

        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        return 0;
    }

    private static ITarget? CreateTarget(string name) => name switch
    {
        "tlscfg" => new TlsCfgTarget(),
        "modparam" => new ModparamTarget(),
        "record" => new RecordTarget(),
        "sip" => new SipTarget(),
        "x509" => new X509Target(),
        _ => null,
    };

    private static int Replay(ITarget target, IEnumerable<string> paths)
    {
        int count = 0;
        foreach (string path in paths)
        {
            IEnumerable<string> files = Directory.Exists(path)
                ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                : [path];
            foreach (string file in files)
            {
                target.Run(File.ReadAllBytes(file));
                count++;
            }
        }

        Console.WriteLine($"replayed {count} input(s) without a crash");
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: OpenSslTls.Fuzz {tlscfg|modparam|record|sip|x509} [--replay <file|dir>...] | seeds <dir>");
        return 2;
    }
}

/// <summary>One fuzz target: <see cref="Run"/> must return for every input; any exception is a finding.</summary>
internal interface ITarget : IDisposable
{
    void Run(ReadOnlySpan<byte> input);
}

/// <summary>tls.cfg text: a <see cref="TlsConfigurationException"/> is the only allowed failure.</summary>
internal sealed class TlsCfgTarget : ITarget
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "openssltls-fuzz-missing");

    public void Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            TlsConfigReader.Parse(text, "fuzz.cfg", _directory);
        }
        catch (TlsConfigurationException e) when (e.Errors.Count > 0)
        {
        }
    }

    public void Dispose()
    {
    }
}

/// <summary>modparam("tls", …) text: a <see cref="TlsConfigurationException"/> is the only allowed failure.</summary>
internal sealed class ModparamTarget : ITarget
{
    public void Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            TlsModuleOptionsReader.ApplyModparams(new TlsModuleOptions(), text, "fuzz.cfg");
        }
        catch (TlsConfigurationException e) when (e.Errors.Count > 0)
        {
        }
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// Arbitrary bytes as the ciphertext a client sends to a server-side connection (TLS 1.2+, client certificate
/// optional). Input byte 0 picks the chunk size (0 = all at once, else 1..255 bytes per Receive call); the rest is
/// the byte stream. Receive must never throw: garbage ends in <see cref="TlsStatus.Failed"/> with a
/// <see cref="TlsConnection.Failure"/>.
/// </summary>
internal sealed class RecordTarget : ITarget
{
    private readonly GeneratedPki _pki = GeneratedPki.Create();
    private readonly ArrayBufferWriter<byte> _plaintext = new();
    private readonly ArrayBufferWriter<byte> _output = new();
    private TlsProfile? _server;

    // Made on the first input, inside the fuzzer's loop: the instrumented library may only run once SharpFuzz has
    // mapped AFL's coverage memory (before that, instrumented code touches a null map and the process dies).
    private TlsProfile Server => _server ??= TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
    {
        Certificate = _pki.ServerCertificate,
        PrivateKey = _pki.ServerKey,
        CaList = _pki.RootCertificate,
        VerifyClient = VerifyClientMode.Optional,
    });

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        int chunk = input[0] == 0 ? int.MaxValue : input[0];
        ReadOnlySpan<byte> stream = input[1..];
        using TlsConnection connection = Server.CreateConnection();
        _plaintext.ResetWrittenCount();
        _output.ResetWrittenCount();
        while (!stream.IsEmpty)
        {
            int length = Math.Min(chunk, stream.Length);
            TlsResult result = connection.Receive(stream[..length], _plaintext, _output);
            stream = stream[length..];
            if (result.Status == TlsStatus.Failed)
            {
                if (connection.State != TlsConnectionState.Failed || connection.Failure is null)
                {
                    throw new InvalidOperationException($"Failed result but state {connection.State}, failure {connection.Failure?.Message ?? "null"}");
                }

                break;
            }
        }
    }

    public void Dispose()
    {
        _server?.Dispose();
        _pki.Dispose();
    }
}

/// <summary>
/// A DER certificate, read as a peer's certificate is (<see cref="Certificates.TlsCertificateInfo.FromPem"/>: names,
/// subjectAltNames of every type, serial, validity, PEM). An <see cref="OpenSslException"/> (no certificate in the
/// input) is the only allowed failure.
/// </summary>
internal sealed class X509Target : ITarget
{
    public void Run(ReadOnlySpan<byte> input)
    {
        string pem = "-----BEGIN CERTIFICATE-----\n" + Convert.ToBase64String(input, Base64FormattingOptions.InsertLineBreaks) + "\n-----END CERTIFICATE-----\n";
        try
        {
            Certificates.TlsCertificateInfo info = Certificates.TlsCertificateInfo.FromPem(pem);
            _ = info.Subject.Line.Length + info.Issuer.Line.Length + info.DnsNames.Count + info.Uris.Count + info.OtherAlternativeNames.Count;
        }
        catch (OpenSslException)
        {
        }
    }

    public void Dispose()
    {
    }
}

/// <summary>The plaintext SIP stream of <c>serve</c>: framer, parser and responder; see <see cref="SipStreamCheck"/>.</summary>
internal sealed class SipTarget : ITarget
{
    private SipResponder? _responder;

    // Made on the first input, as the record target's profile: the server's SIP code is instrumented too, and
    // constructing the responder before SharpFuzz maps AFL's coverage memory kills the fork server (signal 6).
    // A fixed key: To tags then depend only on the input, so a finding replays the same way.
    public void Run(ReadOnlySpan<byte> input) => SipStreamCheck.Run(input, _responder ??= new SipResponder(new ToTagGenerator(0x5eed)));

    public void Dispose()
    {
    }
}

/// <summary>
/// Seeds for the record target: real ClientHellos (TLS 1.3 and 1.2), whole and in small chunks; every byte a TLS 1.2
/// client sends in a full handshake (ClientHello, then Certificate, ClientKeyExchange, CertificateVerify,
/// ChangeCipherSpec and Finished), with and without a client certificate; plus junk. Replayed to a fresh server the
/// second flight cannot complete (the server's random differs, so CertificateVerify or Finished fails), but AFL gets
/// real later handshake messages to mutate: the parsing of ClientKeyExchange and client certificates, and the
/// managed verify callback, are reached only through them.
/// </summary>
internal static class RecordSeeds
{
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (TlsMethod method in new[] { TlsMethod.TLSv1_2Plus, TlsMethod.TLSv1_2 })
        {
            using TlsProfile client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings { Method = method });
            using TlsConnection connection = client.CreateConnection("localhost");
            var hello = new ArrayBufferWriter<byte>();
            connection.Start(hello);
            string name = method == TlsMethod.TLSv1_2 ? "tls12" : "tls13";
            File.WriteAllBytes(Path.Combine(directory, $"clienthello-{name}-whole"), [0, .. hello.WrittenSpan]);
            File.WriteAllBytes(Path.Combine(directory, $"clienthello-{name}-chunk7"), [7, .. hello.WrittenSpan]);
        }

        using (GeneratedPki pki = GeneratedPki.Create())
        {
            foreach (bool withCertificate in new[] { true, false })
            {
                byte[] flights = ClientFlightsTls12(pki, withCertificate);
                string name = withCertificate ? "flights-tls12-client-certificate" : "flights-tls12";
                File.WriteAllBytes(Path.Combine(directory, name + "-whole"), [0, .. flights]);
                File.WriteAllBytes(Path.Combine(directory, name + "-chunk61"), [61, .. flights]);
            }
        }

        File.WriteAllBytes(Path.Combine(directory, "alert"), [0, 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
        File.WriteAllBytes(Path.Combine(directory, "appdata-before-hello"), [0, 0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4]);
        File.WriteAllBytes(Path.Combine(directory, "sip-plaintext"), [0, .. "OPTIONS sip:a@b SIP/2.0\r\n\r\n"u8]);
    }

    /// <summary>A complete TLS 1.2 handshake in memory against the record target's server settings; returns what the client sent.</summary>
    private static byte[] ClientFlightsTls12(GeneratedPki pki, bool withCertificate)
    {
        using TlsProfile server = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = pki.ServerCertificate,
            PrivateKey = pki.ServerKey,
            CaList = pki.RootCertificate,
            VerifyClient = VerifyClientMode.Optional,
        });
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings
        {
            Method = TlsMethod.TLSv1_2,
            Certificate = withCertificate ? pki.ClientCertificate : null,
            PrivateKey = withCertificate ? pki.ClientKey : null,
            CaList = pki.RootCertificate,
        });
        using TlsConnection serverConnection = server.CreateConnection();
        using TlsConnection clientConnection = client.CreateConnection(GeneratedPki.ServerName);
        var sent = new List<byte>();
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        var plaintext = new ArrayBufferWriter<byte>();
        clientConnection.Start(toServer);
        for (int round = 0; round < 10 && (toServer.WrittenCount > 0 || toClient.WrittenCount > 0); round++)
        {
            byte[] data = toServer.WrittenSpan.ToArray();
            toServer.ResetWrittenCount();
            sent.AddRange(data);
            serverConnection.Receive(data, plaintext, toClient);
            data = toClient.WrittenSpan.ToArray();
            toClient.ResetWrittenCount();
            clientConnection.Receive(data, plaintext, toServer);
        }

        if (serverConnection.State != TlsConnectionState.Established)
        {
            throw new InvalidOperationException($"seed handshake did not complete: server {serverConnection.State}, {serverConnection.Failure?.Message}");
        }

        return [.. sent];
    }
}
