using System.Diagnostics;

namespace OpenSslTls.SocketBench.Load;

/// <summary>One worker's record of its measured operations: latencies (Stopwatch ticks), failures, and bytes on the wire for whole connections.</summary>
internal sealed class WorkerTally
{
    public List<long> Latencies { get; } = new(4096);

    public long Failures { get; private set; }

    public string? FirstFailure { get; private set; }

    /// <summary>Connections whose bytes are in <see cref="BytesReceived"/> and <see cref="BytesSent"/> (connection workload only).</summary>
    public long Connections { get; private set; }

    public long BytesReceived { get; private set; }

    public long BytesSent { get; private set; }

    /// <summary>Records an operation started at <paramref name="started"/> that completed now, if it was measured.</summary>
    public void Completed(Admission admission, long started)
    {
        long ended = Stopwatch.GetTimestamp();
        if (admission == Admission.Measured)
        {
            Latencies.Add(ended - started);
        }
    }

    /// <summary>Adds one whole connection's wire bytes, if it was measured.</summary>
    public void Connection(Admission admission, long received, long sent)
    {
        if (admission == Admission.Measured)
        {
            Connections++;
            BytesReceived += received;
            BytesSent += sent;
        }
    }

    /// <summary>Records a failed operation, warm-up ones too: they are as wrong there.</summary>
    public void Failed(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Failures++;
        FirstFailure ??= $"{error.GetType().Name}: {error.Message}";
    }
}
