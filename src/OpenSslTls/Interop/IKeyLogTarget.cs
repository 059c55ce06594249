namespace OpenSslTls.Interop;

/// <summary>
/// Where one <c>SSL_CTX</c>'s NSS key-log lines go (<see cref="KeyLogCallback"/>). Kept in the context's ex_data, so it
/// lives exactly as long as a context that may still log; <see cref="IExDataReleased.OnExDataReleased"/> runs when
/// <c>SSL_CTX_free</c> frees it.
/// </summary>
internal interface IKeyLogTarget : IExDataReleased
{
    /// <summary>One line from OpenSSL (label, client random, secret; no newline). Must not throw for I/O failures.</summary>
    void Write(ReadOnlySpan<byte> line);
}
