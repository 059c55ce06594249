namespace OpenSslTls.Connections;

/// <summary>
/// Follows the TLS record layer framing (5-byte header: type, version, 16-bit length; then the body) of a received
/// byte stream without interpreting it, so a transport end of stream can be classed as falling between records
/// (a plain close) or inside one (a truncated record). OpenSSL keeps partial records to itself and does not say.
/// </summary>
internal struct TlsRecordFraming
{
    private const int HeaderLength = 5;

    private int _headerSeen;
    private int _lengthHigh;
    private int _bodyLeft;
    private int _recordLength;

    /// <summary>True when every record seen so far is complete.</summary>
    internal readonly bool AtRecordBoundary => _headerSeen == 0 && _bodyLeft == 0;

    /// <summary>Bytes seen of the record not yet complete (header and body so far); 0 at a record boundary.</summary>
    internal readonly int PartialRecordBytes => _bodyLeft > 0 ? HeaderLength + _recordLength - _bodyLeft : _headerSeen;

    /// <summary>Accounts for <paramref name="data"/>, the next bytes of the stream.</summary>
    internal void Advance(ReadOnlySpan<byte> data)
    {
        int i = 0;
        while (i < data.Length)
        {
            if (_bodyLeft > 0)
            {
                int skip = Math.Min(_bodyLeft, data.Length - i);
                _bodyLeft -= skip;
                i += skip;
                continue;
            }

            // Header bytes 3 and 4 (0-based) carry the body length, big-endian.
            switch (_headerSeen)
            {
                case 3:
                    _lengthHigh = data[i];
                    break;
                case 4:
                    _bodyLeft = _recordLength = (_lengthHigh << 8) | data[i];
                    break;
            }

            i++;
            _headerSeen = (_headerSeen + 1) % HeaderLength;
        }
    }
}
