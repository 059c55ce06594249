namespace OpenSslTls.Interop;

/// <summary>Which I/O strategy a connection's <see cref="SslEngine"/> uses.</summary>
internal enum SslEngineIo
{
    /// <summary>The C shim when it is loaded (<see cref="NativeIoShim.Loaded"/>), else the managed BIO.</summary>
    Auto,

    /// <summary>The C shim; creating the engine throws when it is not loaded.</summary>
    Shim,

    /// <summary>The managed caller-buffer BIO, even when the shim is loaded.</summary>
    Managed,
}

/// <summary>
/// How a connection's engine is made, given when the connection is created: the I/O strategy and the room the shim
/// engine asks for up front (tests shrink it to force every output through the shim's spill buffer). Immutable, so
/// connections made at the same time with other options never see each other's.
/// </summary>
internal sealed record SslEngineOptions
{
    /// <summary>The library's choice: the shim when loaded, with the sizes below.</summary>
    internal static SslEngineOptions Default { get; } = new();

    internal SslEngineIo Io { get; init; } = SslEngineIo.Auto;

    /// <summary>Stack scratch for a shim handshake step's output: enough for a typical server flight.</summary>
    internal int HandshakeScratchBytes { get; init; } = 4096;

    /// <summary>Stack scratch for a shim decrypt's output, which is rare (alerts, TLS 1.3 KeyUpdate replies).</summary>
    internal int ReadScratchBytes { get; init; } = 256;

    /// <summary>Room asked of the output writer for close_notify.</summary>
    internal int ShutdownRoomBytes { get; init; } = 256;

    /// <summary>Extra room asked per record of a shim encrypt (header, IV, tag); negative values force spills.</summary>
    internal int WriteOverheadBytes { get; init; } = 64;
}
