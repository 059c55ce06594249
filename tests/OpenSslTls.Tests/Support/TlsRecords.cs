namespace OpenSslTls.Tests.Support;

/// <summary>Splits a TLS byte stream into records (5-byte header: type, version, 16-bit length).</summary>
public static class TlsRecords
{
    public static List<int> Lengths(ReadOnlySpan<byte> stream)
    {
        var lengths = new List<int>();
        while (stream.Length >= 5)
        {
            int length = (stream[3] << 8) | stream[4];
            lengths.Add(length);
            stream = stream[Math.Min(stream.Length, 5 + length)..];
        }

        return lengths;
    }
}
