using OpenSslTls.Profiles;

namespace OpenSslTls.Module;

/// <summary>
/// One loaded profile set plus the number of its users: the module while it is current, and every connection made
/// from it. The set is disposed when the count reaches zero, i.e. as soon as the last connection of a superseded
/// generation closes (Kamailio keeps old sets until the next reload). Only the release that reaches zero reports it
/// (<c>freed</c>), so the module's list of live sets never keeps a freed one, whichever releases race.
/// </summary>
internal sealed class TlsProfileGeneration
{
    private readonly Action<TlsProfileGeneration> _freed;
    private int _references = 1;

    internal TlsProfileGeneration(TlsProfileSet profiles, long number, Action<TlsProfileGeneration> freed)
    {
        Profiles = profiles;
        Number = number;
        _freed = freed;
    }

    internal TlsProfileSet Profiles { get; }

    internal long Number { get; }

    /// <summary>Adds a user unless the generation is already retired and released (then false).</summary>
    internal bool TryAcquire()
    {
        while (true)
        {
            int current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _freed(this);
            Profiles.Dispose();
        }
    }
}
