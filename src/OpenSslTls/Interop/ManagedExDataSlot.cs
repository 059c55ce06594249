using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>A managed object kept in ex_data that wants to know when OpenSSL frees the object holding it.</summary>
internal interface IExDataReleased
{
    /// <summary>Called once, when the object holding it was freed, after the GCHandle was freed.</summary>
    void OnExDataReleased();
}

/// <summary>
/// One ex_data slot of an OpenSSL object class (<c>SSL</c>, <c>SSL_CTX</c>) holding a managed object through a
/// GCHandle, released when the object is freed, so native code never keeps managed state alive longer than the object
/// it belongs to, and the state never outlives a callback that may still read it. The index is taken from OpenSSL on
/// first use.
/// <para>
/// Who releases the GCHandle depends on the class. An <c>SSL_CTX</c> is shared (every <c>SSL</c> made from it holds a
/// reference), so OpenSSL's ex_data free callback releases it. An <c>SSL</c> has exactly one owner, its handle (no
/// <c>SSL_up_ref</c> is ever taken), so <see cref="FreeSsl"/> releases the handles of every SSL slot right after
/// <c>SSL_free</c>: OpenSSL calls an index's free callback for every object of the class whether or not anything is
/// stored, which would cost each connection a call back into .NET per slot.
/// </para>
/// </summary>
internal sealed unsafe class ManagedExDataSlot
{
    // The SSL slots, for FreeSsl; at most a handful, registered once when their owner type initialises.
    private static ManagedExDataSlot[] s_sslSlots = [];
    private static readonly Lock RegistryGate = new();

    private readonly Lock _gate = new();
    private readonly int _objectClass;
    private readonly string _what;
    private int _index = -1;

    internal ManagedExDataSlot(int objectClass, string what)
    {
        _objectClass = objectClass;
        _what = what;
        if (objectClass == Crypto.CRYPTO_EX_INDEX_SSL)
        {
            lock (RegistryGate)
            {
                Volatile.Write(ref s_sslSlots, [.. s_sslSlots, this]);
            }
        }
    }

    /// <summary>Whether the slot was ever used (before that, no object holds anything in it).</summary>
    internal bool IsAllocated => Volatile.Read(ref _index) >= 0;

    private int Index
    {
        get
        {
            int index = Volatile.Read(ref _index);
            if (index >= 0)
            {
                return index;
            }

            lock (_gate)
            {
                if (_index < 0)
                {
                    // No free callback for SSL slots: FreeSsl releases them (see the class remarks).
                    int allocated = _objectClass == Crypto.CRYPTO_EX_INDEX_SSL
                        ? Crypto.CRYPTO_get_ex_new_index(_objectClass, 0, null, null, null, null)
                        : Crypto.CRYPTO_get_ex_new_index(_objectClass, 0, null, null, null, &Release);
                    Volatile.Write(ref _index, allocated >= 0 ? allocated : throw ErrorQueue.Drain($"CRYPTO_get_ex_new_index ({_what})"));
                }

                return _index;
            }
        }
    }

    /// <summary>Stores <paramref name="state"/> in <paramref name="ssl"/>; from here <see cref="FreeSsl"/> releases it.</summary>
    internal void Attach(SSL* ssl, object state)
    {
        GCHandle handle = GCHandle.Alloc(state);
        if (Ssl.SSL_set_ex_data(ssl, Index, (void*)GCHandle.ToIntPtr(handle)) != 1)
        {
            handle.Free();
            throw ErrorQueue.Drain($"attaching {_what} (SSL_set_ex_data)");
        }
    }

    /// <summary>Stores <paramref name="state"/> in <paramref name="ctx"/>; from here <c>SSL_CTX_free</c> releases it.</summary>
    internal void Attach(SSL_CTX* ctx, object state)
    {
        GCHandle handle = GCHandle.Alloc(state);
        if (Ssl.SSL_CTX_set_ex_data(ctx, Index, (void*)GCHandle.ToIntPtr(handle)) != 1)
        {
            handle.Free();
            throw ErrorQueue.Drain($"attaching {_what} (SSL_CTX_set_ex_data)");
        }
    }

    /// <summary>The object stored in <paramref name="ssl"/>, or null.</summary>
    internal T? Get<T>(SSL* ssl)
        where T : class
    {
        int index = Volatile.Read(ref _index);
        return ssl == null || index < 0 ? null : Target<T>(Ssl.SSL_get_ex_data(ssl, index));
    }

    /// <summary>The object stored in <paramref name="ctx"/>, or null.</summary>
    internal T? Get<T>(SSL_CTX* ctx)
        where T : class
    {
        int index = Volatile.Read(ref _index);
        return ctx == null || index < 0 ? null : Target<T>(Ssl.SSL_CTX_get_ex_data(ctx, index));
    }

    /// <summary>
    /// <c>SSL_free</c> for the SSL's only owner, then the release of what the SSL slots held. The values are read
    /// before and released after the free, so nothing that runs inside <c>SSL_free</c> can meet a freed GCHandle.
    /// </summary>
    internal static void FreeSsl(SSL* ssl)
    {
        ManagedExDataSlot[] slots = Volatile.Read(ref s_sslSlots);
        Span<nint> held = stackalloc nint[slots.Length];
        int count = 0;
        foreach (ManagedExDataSlot slot in slots)
        {
            int index = Volatile.Read(ref slot._index);
            void* value = index < 0 ? null : Ssl.SSL_get_ex_data(ssl, index);
            if (value != null)
            {
                held[count++] = (nint)value;
            }
        }

        Ssl.SSL_free(ssl);
        foreach (nint value in held[..count])
        {
            ReleaseHandle((void*)value);
        }
    }

    private static T? Target<T>(void* pointer)
        where T : class =>
        pointer == null ? null : GCHandle.FromIntPtr((IntPtr)pointer).Target as T;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Release(void* parent, void* pointer, CRYPTO_EX_DATA* data, int index, nint argl, void* argp)
    {
        try
        {
            if (pointer != null)
            {
                ReleaseHandle(pointer);
            }
        }
        catch (Exception e)
        {
            NativeCallback.Record("ex_data release", e);
        }
    }

    private static void ReleaseHandle(void* pointer)
    {
        GCHandle handle = GCHandle.FromIntPtr((IntPtr)pointer);
        object? target = handle.Target;
        handle.Free();
        (target as IExDataReleased)?.OnExDataReleased();
    }
}
