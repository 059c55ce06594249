using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Connections;
using OpenSslTls.Interop;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// Forges and reads TLS 1.2 AES-128-GCM records of a session a <see cref="RawTlsClient"/> established, with keys derived
/// from its master secret (RFC 5246 §6.3, RFC 5288). A hostile client needs this because OpenSSL's own client refuses
/// to go on after the server declines a renegotiation (the no_renegotiation warning is fatal to it), so only a client
/// that writes its own records can keep sending renegotiation ClientHellos on one connection. After
/// <see cref="FromSession"/> the client's <see cref="TlsConnection"/> must not send again: the sequence numbers live here.
/// </summary>
internal sealed unsafe class Tls12GcmRecords : IDisposable
{
    /// <summary>The one cipher this class implements; the client profile must offer only it.</summary>
    public const string CipherName = "ECDHE-ECDSA-AES128-GCM-SHA256";

    private const int HeaderLength = 5;
    private const int ExplicitNonceLength = 8;
    private const int TagLength = 16;

    private readonly AesGcm _clientWrite;
    private readonly AesGcm _serverWrite;
    private readonly byte[] _clientIv;
    private readonly byte[] _serverIv;

    // Each side's Finished was record 0 of the encrypted epoch.
    private ulong _clientSequence = 1;
    private ulong _serverSequence = 1;

    private Tls12GcmRecords(byte[] keyBlock)
    {
        _clientWrite = new AesGcm(keyBlock.AsSpan(0, 16), TagLength);
        _serverWrite = new AesGcm(keyBlock.AsSpan(16, 16), TagLength);
        _clientIv = keyBlock[32..36];
        _serverIv = keyBlock[36..40];
    }

    /// <summary>Derives the record keys of <paramref name="client"/>'s TLS 1.2 session (negotiated with <see cref="CipherName"/>).</summary>
    public static Tls12GcmRecords FromSession(RawTlsClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        TlsConnectionInfo info = client.Tls.Info ?? throw new InvalidOperationException("not established");
        if (info.Protocol != "TLSv1.2" || info.CipherName != CipherName)
        {
            throw new InvalidOperationException($"needs TLSv1.2 with {CipherName}, got {info.Protocol} {info.CipherName}");
        }

        // ClientHello and ServerHello records: type(1) version(2) length(2), handshake type(1) length(3), version(2), random(32).
        byte[] clientRandom = client.ClientHello[11..43];
        if (client.ServerFlight[0] != 22 || client.ServerFlight[5] != 2)
        {
            throw new InvalidOperationException("the server's first record is not a ServerHello");
        }

        byte[] serverRandom = client.ServerFlight[11..43];
        byte[] master = new byte[48];
        using (TlsSession session = client.Tls.GetSession() ?? throw new InvalidOperationException("no session"))
        {
            fixed (byte* target = master)
            {
                if (Ssl.SSL_SESSION_get_master_key(session.Handle.Pointer, target, (nuint)master.Length) != (nuint)master.Length)
                {
                    throw new InvalidOperationException("no master secret");
                }
            }
        }

        byte[] keyBlock = Prf(master, "key expansion", [.. serverRandom, .. clientRandom], 40);
        return new Tls12GcmRecords(keyBlock);
    }

    /// <summary>A client-to-server record of <paramref name="contentType"/> carrying <paramref name="plaintext"/>.</summary>
    public byte[] Seal(byte contentType, ReadOnlySpan<byte> plaintext)
    {
        ulong sequence = _clientSequence++;
        byte[] record = new byte[HeaderLength + ExplicitNonceLength + plaintext.Length + TagLength];
        WriteHeader(record, contentType, ExplicitNonceLength + plaintext.Length + TagLength);
        Span<byte> explicitNonce = record.AsSpan(HeaderLength, ExplicitNonceLength);
        BinaryPrimitives.WriteUInt64BigEndian(explicitNonce, sequence);
        _clientWrite.Encrypt(
            Nonce(_clientIv, explicitNonce),
            plaintext,
            record.AsSpan(HeaderLength + ExplicitNonceLength, plaintext.Length),
            record.AsSpan(record.Length - TagLength),
            AdditionalData(sequence, contentType, plaintext.Length));
        return record;
    }

    /// <summary>
    /// Takes one complete server record off the front of <paramref name="buffer"/> and decrypts it; false when the
    /// buffer holds no complete record yet. Throws <see cref="AuthenticationTagMismatchException"/> on a bad record.
    /// </summary>
    public bool TryOpen(List<byte> buffer, out byte contentType, out byte[] plaintext)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        contentType = 0;
        plaintext = [];
        if (buffer.Count < HeaderLength)
        {
            return false;
        }

        int length = (buffer[3] << 8) | buffer[4];
        if (buffer.Count < HeaderLength + length)
        {
            return false;
        }

        byte[] record = [.. buffer.GetRange(0, HeaderLength + length)];
        buffer.RemoveRange(0, HeaderLength + length);
        contentType = record[0];
        int textLength = length - ExplicitNonceLength - TagLength;
        plaintext = new byte[textLength];
        ulong sequence = _serverSequence++;
        _serverWrite.Decrypt(
            Nonce(_serverIv, record.AsSpan(HeaderLength, ExplicitNonceLength)),
            record.AsSpan(HeaderLength + ExplicitNonceLength, textLength),
            record.AsSpan(record.Length - TagLength),
            plaintext,
            AdditionalData(sequence, contentType, textLength));
        return true;
    }

    public void Dispose()
    {
        _clientWrite.Dispose();
        _serverWrite.Dispose();
    }

    private static void WriteHeader(Span<byte> record, byte contentType, int length)
    {
        record[0] = contentType;
        record[1] = 3;
        record[2] = 3;
        BinaryPrimitives.WriteUInt16BigEndian(record[3..], (ushort)length);
    }

    private static byte[] Nonce(byte[] implicitIv, ReadOnlySpan<byte> explicitNonce) => [.. implicitIv, .. explicitNonce];

    private static byte[] AdditionalData(ulong sequence, byte contentType, int plaintextLength)
    {
        byte[] data = new byte[13];
        BinaryPrimitives.WriteUInt64BigEndian(data, sequence);
        WriteHeader(data.AsSpan(8), contentType, plaintextLength);
        return data;
    }

    /// <summary>The TLS 1.2 PRF with SHA-256: P_SHA256(secret, label + seed).</summary>
    private static byte[] Prf(byte[] secret, string label, byte[] seed, int length)
    {
        byte[] labelSeed = [.. Encoding.ASCII.GetBytes(label), .. seed];
        var result = new List<byte>(length + 32);
        byte[] a = labelSeed;
        while (result.Count < length)
        {
            a = HMACSHA256.HashData(secret, a);
            byte[] block = [.. a, .. labelSeed];
            result.AddRange(HMACSHA256.HashData(secret, block));
        }

        return [.. result.GetRange(0, length)];
    }
}
