using System.Diagnostics;
using System.Net;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// Counts open connections per remote IP address and refuses one over the limit; says when a refusal should be logged
/// (the first for an address, then at most once per interval, with the number refused in between). Entries exist only
/// while an address has connections, or refusals to report, so the table stays as small as the connection count.
/// </summary>
internal sealed class AddressConnectionLimit(int limit, TimeSpan logInterval)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, Entry> _entries = [];

    /// <summary>Whether the limit is on (0 turns it off).</summary>
    public bool Enabled => limit > 0;

    /// <summary>Connections open from <paramref name="address"/> (tests).</summary>
    public int CountOf(IPAddress address)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(Normalize(address), out Entry? entry) ? entry.Count : 0;
        }
    }

    /// <summary>
    /// Takes a slot for <paramref name="address"/>, or refuses: then <paramref name="refusedToLog"/> is the number of
    /// refusals to log now (this one included), or 0 when this one falls inside the interval of the last line.
    /// </summary>
    public bool TryAcquire(IPAddress address, out long refusedToLog)
    {
        refusedToLog = 0;
        if (!Enabled)
        {
            return true;
        }

        address = Normalize(address);
        lock (_lock)
        {
            if (!_entries.TryGetValue(address, out Entry? entry))
            {
                _entries[address] = new Entry { Count = 1 };
                return true;
            }

            if (entry.Count < limit)
            {
                entry.Count++;
                return true;
            }

            entry.Refused++;
            if (entry.LoggedAt == 0 || Stopwatch.GetElapsedTime(entry.LoggedAt) >= logInterval)
            {
                entry.LoggedAt = Stopwatch.GetTimestamp();
                refusedToLog = entry.Refused;
                entry.Refused = 0;
            }

            return false;
        }
    }

    /// <summary>Gives back the slot of a connection from <paramref name="address"/> that ended.</summary>
    public void Release(IPAddress address)
    {
        if (!Enabled)
        {
            return;
        }

        address = Normalize(address);
        lock (_lock)
        {
            if (_entries.TryGetValue(address, out Entry? entry) && --entry.Count <= 0)
            {
                // Forgetting the last log time too: refusing again takes a full set of connections first.
                _entries.Remove(address);
            }
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class Entry
    {
        public int Count;
        public long Refused;
        public long LoggedAt;
    }
}
