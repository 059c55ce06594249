using System.Buffers;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// Plaintext written before the handshake completes, kept in order until it can be encrypted (Kamailio's clear-text
/// write queue). Blocks come from the shared array pool, at least <c>ct_wq_blk_size</c> bytes each; the per-connection
/// (<c>con_ct_wq_max</c>) and global (<c>ct_wq_max</c>) caps are checked on every add, and an add that would exceed
/// either is refused whole.
/// </summary>
internal sealed class ClearTextQueue
{
    private readonly TlsRuntimeParameters _limits;
    // Made on the first add: most connections (every server connection, any client that waits for its handshake)
    // never queue, and an idle connection should not carry an empty list.
    private List<(byte[] Block, int Length)>? _blocks;

    internal ClearTextQueue(TlsRuntimeParameters limits) => _limits = limits;

    /// <summary>Bytes queued now.</summary>
    internal int Count { get; private set; }

    /// <summary>Pool blocks held now.</summary>
    internal int BlockCount => _blocks?.Count ?? 0;

    internal bool TryAdd(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return true;
        }

        if ((long)Count + data.Length > _limits.ConnectionClearTextQueueMax || !_limits.TryReserveQueueBytes(data.Length))
        {
            return false;
        }

        Count += data.Length;
        _blocks ??= [];
        if (_blocks.Count > 0)
        {
            (byte[] block, int length) = _blocks[^1];
            int room = block.Length - length;
            int take = Math.Min(room, data.Length);
            data[..take].CopyTo(block.AsSpan(length));
            _blocks[^1] = (block, length + take);
            data = data[take..];
        }

        if (!data.IsEmpty)
        {
            byte[] block = ArrayPool<byte>.Shared.Rent(Math.Max(_limits.ClearTextQueueBlockSize, data.Length));
            data.CopyTo(block);
            _blocks.Add((block, data.Length));
        }

        return true;
    }

    /// <summary>Hands each queued block, in order, to <paramref name="write"/> and empties the queue (stopping early when it returns false).</summary>
    internal bool Drain<TState>(TState state, Func<TState, ReadOnlyMemory<byte>, bool> write)
    {
        while (_blocks is { Count: > 0 })
        {
            (byte[] block, int length) = _blocks[0];
            _blocks.RemoveAt(0);
            bool ok = write(state, block.AsMemory(0, length));
            Release(block, length);
            if (!ok)
            {
                Clear();
                return false;
            }
        }

        return true;
    }

    /// <summary>Drops everything queued and returns its budget.</summary>
    internal void Clear()
    {
        if (_blocks is null)
        {
            return;
        }

        foreach ((byte[] block, int length) in _blocks)
        {
            Release(block, length);
        }

        _blocks = null; // Back to no list: a connection that queued once does not keep one while idle.
    }

    private void Release(byte[] block, int length)
    {
        Count -= length;
        _limits.ReleaseQueueBytes(length);
        // Queued SIP plaintext must not reach the next renter of the shared pool.
        ArrayPool<byte>.Shared.Return(block, clearArray: true);
    }
}
