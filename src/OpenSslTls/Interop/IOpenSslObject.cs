namespace OpenSslTls.Interop;

/// <summary>
/// Implemented by each owning opaque OpenSSL type (see <c>OpaqueTypes.Ownership.cs</c>): how to count, up-ref and free
/// it. <see cref="OpenSslHandle{T}"/> uses it so one safe-handle type serves every native object.
/// </summary>
internal unsafe interface IOpenSslObject<TSelf>
    where TSelf : unmanaged, IOpenSslObject<TSelf>
{
    static abstract NativeObjectKind Kind { get; }

    /// <summary>Adds one reference; returns 1 on success like OpenSSL's <c>*_up_ref</c>.</summary>
    static abstract int UpRef(TSelf* pointer);

    /// <summary>Drops one reference, freeing the object when it was the last.</summary>
    static abstract void Free(TSelf* pointer);

    /// <summary>
    /// Whether a newly owned object holds a native I/O shim BIO state (freed in C with the object), so the leak checks
    /// can balance the shim's count against handles. Only connections made by the shim do.
    /// </summary>
    static virtual bool HoldsNativeIoState(TSelf* pointer) => false;
}
