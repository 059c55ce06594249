using System.Runtime.InteropServices;

namespace OpenSslTls.Interop;

/// <summary>
/// Holds one reference on a safe handle for the duration of an operation, so a concurrent <c>Dispose</c> only marks
/// the handle closed and the native object is freed after the operation ends (no use after free).
/// </summary>
internal readonly ref struct HandleLease
{
    private readonly SafeHandle _handle;
    private readonly bool _added;

    internal HandleLease(SafeHandle handle)
    {
        _handle = handle;
        bool added = false;
        handle.DangerousAddRef(ref added);
        _added = added;
    }

    public void Dispose()
    {
        if (_added)
        {
            _handle.DangerousRelease();
        }
    }
}
