using System.Runtime.InteropServices;

namespace OpenSslTls.Interop;

/// <summary>
/// Owns exactly one reference to a native OpenSSL object. A null pointer is invalid; every handle that owns a
/// reference is counted in <see cref="NativeObjectCounter"/>, process-wide and in the counter scope current where the
/// handle was made (kept here, so a release on any thread or in the finalizer decrements that same scope), and release
/// drops that reference with the type's free.
/// </summary>
/// <remarks>
/// Callers that pass <see cref="Pointer"/> to native code keep the handle alive for the duration of the call
/// (<c>DangerousAddRef</c>/<c>DangerousRelease</c> around a public operation, or <c>GC.KeepAlive</c>), so a racing
/// <c>Dispose</c> can never free the object under a running call.
/// </remarks>
internal sealed unsafe class OpenSslHandle<T> : SafeHandle
    where T : unmanaged, IOpenSslObject<T>
{
    private readonly NativeObjectCounter.Scope? _scope;
    private readonly bool _holdsIoState;

    private OpenSslHandle(T* pointer, bool holdsIoState)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        if (pointer != null)
        {
            SetHandle((IntPtr)pointer);
            _holdsIoState = holdsIoState;
            _scope = NativeObjectCounter.Increment(T.Kind, holdsIoState);
        }
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal T* Pointer => (T*)handle;

    /// <summary>
    /// Takes ownership of a reference the caller already holds: the result of a <c>*_new</c>, a <c>get1</c> accessor,
    /// or a pointer the caller up-ref'd. Throws the queued OpenSSL error when <paramref name="pointer"/> is null.
    /// </summary>
    internal static OpenSslHandle<T> TakeOwnership(T* pointer, string operation)
    {
        if (pointer == null)
        {
            throw ErrorQueue.Drain(operation);
        }

        return new OpenSslHandle<T>(pointer, T.HoldsNativeIoState(pointer));
    }

    /// <summary>
    /// Adds a reference (<c>*_up_ref</c>) to an object borrowed through a <c>get0</c> accessor and owns that new
    /// reference, so the handle stays valid after the object's other owners let go.
    /// </summary>
    internal static OpenSslHandle<T> AddReference(T* pointer, string operation)
    {
        if (pointer == null || T.UpRef(pointer) != 1)
        {
            throw ErrorQueue.Drain(operation);
        }

        // A second reference: the object's native I/O state (if any) is already counted with the first owner's handle.
        return new OpenSslHandle<T>(pointer, holdsIoState: false);
    }

    /// <summary>
    /// A new handle owning one more reference (<c>*_up_ref</c>) to this handle's object, which stays valid when this
    /// handle is disposed first (e.g. a connection waiting to make its <c>SSL</c> keeps its profile's context).
    /// </summary>
    internal OpenSslHandle<T> NewReference(string operation)
    {
        bool added = false;
        DangerousAddRef(ref added);
        try
        {
            return AddReference(Pointer, operation);
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Gives the reference this handle owns to a native owner (an <c>add0</c>/<c>set0</c> call or <c>SSL_set_bio</c>)
    /// and invalidates the handle without freeing. Call only after the transferring call succeeded.
    /// </summary>
    internal void TransferOwnership()
    {
        if (!IsInvalid)
        {
            SetHandleAsInvalid();
            NativeObjectCounter.Decrement(T.Kind, _scope, _holdsIoState);
        }
    }

    protected override bool ReleaseHandle()
    {
        if (_holdsIoState)
        {
            // The shim's state count drops inside the free, ours after it: bracketed, so a balance check can tell.
            NativeObjectCounter.IoReleaseStarting();
            T.Free((T*)handle);
            NativeObjectCounter.Decrement(T.Kind, _scope, _holdsIoState);
            NativeObjectCounter.IoReleaseFinished();
            return true;
        }

        T.Free((T*)handle);
        NativeObjectCounter.Decrement(T.Kind, _scope, _holdsIoState);
        return true;
    }
}
