using System.IO.Pipelines;

namespace OpenSslTls.Connections;

/// <summary>
/// The application-side pipes of a <see cref="TlsDuplexPipe"/>: their memory pool, pause/resume thresholds (the
/// back-pressure points) and schedulers. A Kestrel connection middleware passes its transport's memory pool here.
/// </summary>
public sealed class TlsDuplexPipeOptions
{
    private static readonly PipeOptions s_default = new(useSynchronizationContext: false);

    /// <summary>
    /// The pipe of decrypted plaintext (<see cref="TlsDuplexPipe.Input"/>). Once the application leaves more than its
    /// pause threshold unread, the adapter stops reading the transport (by at most one transport read's plaintext
    /// later), so the transport's own back-pressure reaches the peer. Default: <see cref="PipeOptions"/>' defaults
    /// (64 KiB pause, 32 KiB resume, shared memory pool) without the synchronization context.
    /// </summary>
    public PipeOptions InputPipeOptions { get; init; } = s_default;

    /// <summary>
    /// The pipe of plaintext to encrypt (<see cref="TlsDuplexPipe.Output"/>). The adapter takes from it only while the
    /// transport's writer accepts more (its flush is not paused), so the application's <c>FlushAsync</c> waits once
    /// this pipe's pause threshold is reached. Default as for <see cref="InputPipeOptions"/>.
    /// </summary>
    public PipeOptions OutputPipeOptions { get; init; } = s_default;
}
