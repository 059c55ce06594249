using System.Buffers.Binary;

namespace OpenSslTls.Connections;

/// <summary>
/// Checks the first bytes a server connection receives before an <c>SSL</c> is made for it: they must be TLS handshake
/// records (content type 22, version 3.0..3.4, a length no record may exceed) whose first handshake message is a
/// ClientHello declared no longer than the configured bound. Only the 4-byte handshake header is needed, however the
/// peer splits it over records or reads; the bytes seen until then (at most <see cref="MaxPrefix"/>) are kept here and
/// handed to OpenSSL once the verdict is in. SSLv2-format hellos are refused: no client of this century sends one.
/// </summary>
internal sealed class ClientHelloGate
{
    /// <summary>
    /// The most bytes a verdict can need: the handshake header spread over four records of one byte (four 5-byte
    /// headers, three payload bytes, then the next header and one byte).
    /// </summary>
    internal const int MaxPrefix = (4 * RecordHeaderLength) + 4;

    /// <summary>The largest record length TLS allows on the wire (2^14 plus 2048 of expansion, RFC 5246 §6.2.3).</summary>
    internal const int MaxRecordLength = 16384 + 2048;

    private const int RecordHeaderLength = 5;
    private const byte HandshakeContentType = 22;
    private const byte ClientHelloType = 1;

    private readonly byte[] _prefix = new byte[MaxPrefix];
    private int _length;

    /// <summary>The bytes kept from earlier calls (to be fed to OpenSSL first once accepted).</summary>
    internal ReadOnlySpan<byte> Kept => _prefix.AsSpan(0, _length);

    /// <summary>
    /// Looks at <paramref name="kept"/> followed by <paramref name="received"/>: <see cref="Verdict.NeedMore"/> when the
    /// handshake header is not complete yet, otherwise accepted or refused (<paramref name="problem"/> says why).
    /// </summary>
    internal static Verdict Inspect(ReadOnlySpan<byte> kept, ReadOnlySpan<byte> received, int maxClientHelloBytes, out string? problem)
    {
        problem = null;
        Span<byte> handshakeHeader = stackalloc byte[4];
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        int collected = 0;
        long position = 0; // in the concatenation of kept and received
        long total = kept.Length + received.Length;
        while (true)
        {
            if (total - position < RecordHeaderLength)
            {
                return Verdict.NeedMore;
            }

            Copy(kept, received, position, header);
            if (header[0] != HandshakeContentType)
            {
                problem = header[0] == 0x80 || header[0] < 20 || header[0] > 24
                    ? $"TLS handshake refused: the first bytes are not a TLS record (0x{header[0]:x2} 0x{header[1]:x2}...)"
                    : $"TLS handshake refused: the first record is not a handshake record (content type {header[0]})";
                return Verdict.Refused;
            }

            if (header[1] != 3 || header[2] > 4)
            {
                problem = $"TLS handshake refused: the first record declares version 0x{header[1]:x2}{header[2]:x2}, not TLS (0x0300..0x0304)";
                return Verdict.Refused;
            }

            int recordLength = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
            if (recordLength == 0 || recordLength > MaxRecordLength)
            {
                problem = $"TLS handshake refused: a ClientHello record declares {recordLength} bytes (allowed: 1..{MaxRecordLength})";
                return Verdict.Refused;
            }

            position += RecordHeaderLength;
            int take = (int)Math.Min(Math.Min(recordLength, 4 - collected), total - position);
            Copy(kept, received, position, handshakeHeader.Slice(collected, take));
            collected += take;
            position += take;
            if (collected == 4)
            {
                if (handshakeHeader[0] != ClientHelloType)
                {
                    problem = $"TLS handshake refused: the first handshake message is not a ClientHello (type {handshakeHeader[0]})";
                    return Verdict.Refused;
                }

                int declared = (handshakeHeader[1] << 16) | (handshakeHeader[2] << 8) | handshakeHeader[3];
                if (declared > maxClientHelloBytes)
                {
                    problem = $"TLS handshake refused: the ClientHello declares {declared} bytes, more than MaxClientHelloBytes ({maxClientHelloBytes})";
                    return Verdict.Refused;
                }

                return Verdict.Accepted;
            }

            if (take < recordLength)
            {
                // The record goes on past what has arrived, and its rest holds the missing header bytes.
                return Verdict.NeedMore;
            }
        }
    }

    /// <summary>Keeps <paramref name="received"/> after what is kept (a <see cref="Verdict.NeedMore"/> never needs more than <see cref="MaxPrefix"/>).</summary>
    internal void Keep(ReadOnlySpan<byte> received)
    {
        received.CopyTo(_prefix.AsSpan(_length));
        _length += received.Length;
    }

    private static void Copy(ReadOnlySpan<byte> kept, ReadOnlySpan<byte> received, long position, Span<byte> destination)
    {
        // The caller checked that position + destination.Length is within kept + received.
        int offset = (int)position;
        int fromKept = Math.Clamp(kept.Length - offset, 0, destination.Length);
        if (fromKept > 0)
        {
            kept.Slice(offset, fromKept).CopyTo(destination);
        }

        received.Slice(Math.Max(0, offset - kept.Length), destination.Length - fromKept).CopyTo(destination[fromKept..]);
    }

    /// <summary>What the first bytes show.</summary>
    internal enum Verdict
    {
        /// <summary>The handshake header is not complete yet.</summary>
        NeedMore,

        /// <summary>A ClientHello within the bounds: make the <c>SSL</c> and hand it the bytes.</summary>
        Accepted,

        /// <summary>Not a ClientHello within the bounds: fail without an <c>SSL</c>.</summary>
        Refused,
    }
}
