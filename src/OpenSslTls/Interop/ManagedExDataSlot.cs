using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>A managed object kept in ex_data that wants to know when OpenSSL frees the object holding it.</summary>
internal interface IExDataReleased
{
    /// <summary>Called once, from the ex_data free callback, after the GCHandle was freed.</summary>
    void OnExDataReleased();
}

/// <summary>
/// One ex_data slot of an OpenSSL object class (<c>SSL</c>, <c>SSL_CTX</c>) holding a managed object through a
/// GCHandle. OpenSSL's free callback releases the handle when the object is freed, so native code never keeps managed
/// state alive longer than the object it belongs to, and the state never outlives a callback that may still read it.
/// The index is taken from OpenSSL on first use.
/// </summary>
internal sealed unsafe class ManagedExDataSlot(int objectClass, string what)
{
    private readonly Lock _gate = new();
    private int _index = -1;

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
                    int allocated = Crypto.CRYPTO_get_ex_new_index(objectClass, 0, null, null, null, &Release);
                    Volatile.Write(ref _index, allocated >= 0 ? allocated : throw ErrorQueue.Drain($"CRYPTO_get_ex_new_index ({what})"));
                }

                return _index;
            }
        }
    }

    /// <summary>Stores <paramref name="state"/> in <paramref name="ssl"/>; from here <c>SSL_free</c> releases it.</summary>
    internal void Attach(SSL* ssl, object state)
    {
        GCHandle handle = GCHandle.Alloc(state);
        if (Ssl.SSL_set_ex_data(ssl, Index, (void*)GCHandle.ToIntPtr(handle)) != 1)
        {
            handle.Free();
            throw ErrorQueue.Drain($"attaching {what} (SSL_set_ex_data)");
        }
    }

    /// <summary>Stores <paramref name="state"/> in <paramref name="ctx"/>; from here <c>SSL_CTX_free</c> releases it.</summary>
    internal void Attach(SSL_CTX* ctx, object state)
    {
        GCHandle handle = GCHandle.Alloc(state);
        if (Ssl.SSL_CTX_set_ex_data(ctx, Index, (void*)GCHandle.ToIntPtr(handle)) != 1)
        {
            handle.Free();
            throw ErrorQueue.Drain($"attaching {what} (SSL_CTX_set_ex_data)");
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
                GCHandle handle = GCHandle.FromIntPtr((IntPtr)pointer);
                object? target = handle.Target;
                handle.Free();
                (target as IExDataReleased)?.OnExDataReleased();
            }
        }
        catch (Exception e)
        {
            NativeCallback.Record("ex_data release", e);
        }
    }
}
