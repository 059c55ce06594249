using System.Diagnostics;

namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// A bound on handshakes in progress, so a reconnect storm is taken in as fast as handshakes complete rather than all
/// at once. A connection's handshake timer starts at accept; accepting ten thousand at once makes every handshake
/// advance together, the median one completing after tens of seconds on two cores, and most of them hit the timer.
/// With the bound, while <c>limit</c> handshakes are in progress, newly accepted connections wait in the server's queue
/// with no timer of ours running (accepting goes on, so the kernel's listen queue does not overflow and reset them),
/// and each started handshake has the processors nearly to itself.
/// <para>
/// Peers must not be able to hold the bound. A connection counts from its accept, so the bound is exact even when
/// clients are slow to send their ClientHello; but one that has sent nothing counts only for the silent time (a fifth
/// of the slot time), and one whose handshake is under way for at most the slot time from its first bytes. Past that it
/// stops counting (its connection keeps its own handshake timeout) and the loop accepts another. So a flood of silent
/// connections slows accepting to at most the bound per silent time, one that sends a ClientHello and stalls delays
/// others by at most the slot time per slot, at the price of a ClientHello each, and a storm under heavy load degrades
/// towards accepting everything (the behaviour without the bound) instead of stopping.
/// </para>
/// Slots are expired lazily, oldest first, when the loop asks for room: no timer per connection. Thread-safe.
/// </summary>
internal sealed class HandshakeAdmission
{
    private readonly int _limit;
    private readonly long _slotTicks;
    private readonly long _silentTicks;
    private readonly Func<long> _clock;
    private readonly Lock _lock = new();
    private readonly Queue<Slot> _slots = new(); // handshakes under way, in order of entry, so the oldest expires first
    private readonly Queue<Slot> _silent = new(); // accepted, nothing received yet: a shorter time, same order
    private int _held;
    private TaskCompletionSource? _room;

    /// <summary>
    /// At most <paramref name="limit"/> held at once (0: no bound), each for at most <paramref name="slotTime"/> once its
    /// first bytes came and <paramref name="silentTime"/> before (by default a fifth of the slot time).
    /// </summary>
    public HandshakeAdmission(int limit, TimeSpan slotTime, Func<long>? clock = null, TimeSpan? silentTime = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(slotTime, TimeSpan.Zero);
        _limit = limit;
        _slotTicks = (long)(slotTime.TotalSeconds * Stopwatch.Frequency);
        _silentTicks = (long)((silentTime ?? slotTime / 5).TotalSeconds * Stopwatch.Frequency);
        _clock = clock ?? Stopwatch.GetTimestamp;
    }

    /// <summary>Whether there is a bound at all.</summary>
    public bool Enabled => _limit > 0;

    /// <summary>Slots counting now (held and not expired).</summary>
    public int Held
    {
        get
        {
            lock (_lock)
            {
                Expire(_clock());
                return _held;
            }
        }
    }

    /// <summary>Slots that stopped counting because their handshake took longer than the slot time (since start).</summary>
    public long Expired { get; private set; }

    /// <summary>Whether a new handshake may start now.</summary>
    public bool HasRoom
    {
        get
        {
            if (!Enabled)
            {
                return true;
            }

            lock (_lock)
            {
                Expire(_clock());
                return _held < _limit;
            }
        }
    }

    /// <summary>
    /// Completes when a new handshake may start: at once when there is room, else when a slot is released or the
    /// oldest expires. Returns whether it had to wait. Throws <see cref="OperationCanceledException"/> on <paramref name="cancellation"/>.
    /// </summary>
    public async ValueTask<bool> WaitForRoomAsync(CancellationToken cancellation)
    {
        bool waited = false;
        while (true)
        {
            Task room;
            TimeSpan untilExpiry;
            lock (_lock)
            {
                long now = _clock();
                Expire(now);
                if (!Enabled || _held < _limit)
                {
                    return waited;
                }

                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                room = _room.Task;
                long next = Math.Min(
                    _slots.TryPeek(out Slot? oldest) ? oldest.EnteredAt + _slotTicks : long.MaxValue,
                    _silent.TryPeek(out Slot? oldestSilent) ? oldestSilent.EnteredAt + _silentTicks : long.MaxValue);
                untilExpiry = Stopwatch.GetElapsedTime(now, next);
            }

            waited = true;
            try
            {
                // A small margin past the oldest slot's expiry, so the wait never wakes just before it.
                await room.WaitAsync(untilExpiry + TimeSpan.FromMilliseconds(1), cancellation).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The oldest slot has expired by now: the loop above takes it off.
            }
        }
    }

    /// <summary>
    /// Takes a slot for a connection accepted now, silent so far (null when there is no bound): it counts for the
    /// silent time unless <see cref="Started"/> is called. Release it when the handshake completes or the connection ends.
    /// </summary>
    public Slot? Enter()
    {
        if (!Enabled)
        {
            return null;
        }

        lock (_lock)
        {
            var slot = new Slot(this, _clock());
            _silent.Enqueue(slot);
            _held++;
            return slot;
        }
    }

    /// <summary>
    /// The connection of <paramref name="slot"/> sent its first bytes: its handshake is under way, so it counts (again,
    /// if its silent time was up) for the slot time from now. Returns the slot to release from now on.
    /// </summary>
    public Slot? Started(Slot? slot)
    {
        if (slot is null)
        {
            return null;
        }

        lock (_lock)
        {
            if (slot.State == SlotState.Held)
            {
                slot.State = SlotState.Released;
                _held--;
            }

            var started = new Slot(this, _clock());
            _slots.Enqueue(started);
            _held++;
            return started;
        }
    }

    private void Release(Slot slot)
    {
        TaskCompletionSource? wake = null;
        lock (_lock)
        {
            if (slot.State != SlotState.Held)
            {
                return;
            }

            slot.State = SlotState.Released;
            _held--;
            Expire(_clock());
            if (_room is not null && _held < _limit)
            {
                wake = _room;
                _room = null;
            }
        }

        wake?.TrySetResult();
    }

    /// <summary>Drops released slots from the heads and expires held ones older than their time (under the lock).</summary>
    private void Expire(long now)
    {
        Expire(_slots, _slotTicks, now);
        Expire(_silent, _silentTicks, now);
    }

    private void Expire(Queue<Slot> slots, long lifetime, long now)
    {
        while (slots.TryPeek(out Slot? oldest))
        {
            if (oldest.State == SlotState.Held)
            {
                if (now - oldest.EnteredAt < lifetime)
                {
                    return;
                }

                oldest.State = SlotState.Expired;
                _held--;
                Expired++;
            }

            slots.Dequeue();
        }
    }

    internal enum SlotState
    {
        Held,
        Released,
        Expired,
    }

    /// <summary>One handshake's place in the bound; releasing it twice, or after it expired, does nothing.</summary>
    internal sealed class Slot(HandshakeAdmission owner, long enteredAt)
    {
        public long EnteredAt { get; } = enteredAt;

        public SlotState State { get; set; } = SlotState.Held;

        /// <summary>The handshake completed or the connection ended: the slot is free for the next accept.</summary>
        public void Release() => owner.Release(this);
    }
}
