using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>
/// Makes the To tag a UAS must add to its responses (RFC 3261 §8.2.6.2) without keeping transaction state: the tag is a
/// keyed hash of what identifies the request (Call-ID, From, CSeq, top Via), so a retransmitted request gets the same
/// tag again, while the per-process random key keeps tags unguessable across runs.
/// </summary>
internal sealed class ToTagGenerator
{
    private const ulong FnvPrime = 1099511628211;
    private readonly ulong _key;

    public ToTagGenerator()
        : this(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))))
    {
    }

    public ToTagGenerator(ulong key)
    {
        _key = key | 1;
    }

    /// <summary>A 16-hex-digit tag for the request identified by the given header values.</summary>
    public string TagFor(string? callId, string? from, string? cseq, string? topVia)
    {
        // FNV-1a over the UTF-8 bytes, seeded with the key; a separator byte keeps ("ab","c") apart from ("a","bc").
        ulong hash = 14695981039346656037UL ^ _key;
        foreach (string? part in (ReadOnlySpan<string?>)[callId, from, cseq, topVia])
        {
            foreach (byte b in Encoding.UTF8.GetBytes(part ?? string.Empty))
            {
                hash = (hash ^ b) * FnvPrime;
            }

            hash = (hash ^ 0xFF) * FnvPrime;
        }

        hash ^= hash >> 29;
        hash *= _key;
        hash ^= hash >> 32;
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
