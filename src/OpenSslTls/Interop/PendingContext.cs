namespace OpenSslTls.Interop;

/// <summary>
/// A server connection's hold on its profile's <c>SSL_CTX</c> from its creation until its <c>SSL_new</c> (which takes
/// a native reference of its own): one reference on the profile's safe handle (<c>DangerousAddRef</c>), with neither a
/// native up-ref nor a handle object per connection. A profile disposed meanwhile is only marked closed; its
/// <c>SSL_CTX</c> is freed when the last hold ends.
/// </summary>
internal struct PendingContext
{
    private SafeSslContextHandle? _context;

    /// <summary>The held context, or null once released.</summary>
    internal readonly SafeSslContextHandle? Context => _context;

    /// <summary>Takes a reference on <paramref name="context"/> (ObjectDisposedException when it is closed already).</summary>
    internal static PendingContext Hold(SafeSslContextHandle context)
    {
        bool added = false;
        context.DangerousAddRef(ref added);
        return new PendingContext { _context = added ? context : null };
    }

    /// <summary>Drops the reference; again is a no-op. Callers serialise (the connection's lock).</summary>
    internal void Release()
    {
        SafeSslContextHandle? context = _context;
        _context = null;
        context?.DangerousRelease();
    }
}
