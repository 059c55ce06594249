namespace OpenSslTls.SocketBench.Load;

/// <summary>What a <see cref="LoadGate"/> told a worker about to start an operation.</summary>
internal enum Admission
{
    /// <summary>The run is over: return.</summary>
    Stop,

    /// <summary>Go; the operation is warm-up and is not recorded.</summary>
    Unmeasured,

    /// <summary>Go; the operation belongs to a measured slice and is recorded when it completes.</summary>
    Measured,
}
