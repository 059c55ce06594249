using System.Diagnostics;

namespace OpenSslTls.SocketBench.Load;

/// <summary>One worker's record of the measuring window: each completed operation's latency (Stopwatch ticks), the failures, and bytes on the wire for whole connections.</summary>
internal sealed class WorkerTally
{
    public List<long> Latencies { get; } = new(4096);

    public long Failures { get; private set; }

    public string? FirstFailure { get; private set; }

    /// <summary>Connections whose bytes are in <see cref="BytesReceived"/> and <see cref="BytesSent"/> (connection workload only).</summary>
    public long Connections { get; private set; }

    public long BytesReceived { get; private set; }

    public long BytesSent { get; private set; }

    /// <summary>Records an operation started at <paramref name="started"/> that completed now, if the window is measuring.</summary>
    public void Completed(LoadWindow window, long started)
    {
        long ended = Stopwatch.GetTimestamp();
        if (window.Measuring)
        {
            Latencies.Add(ended - started);
        }
    }

    /// <summary>Adds one whole connection's wire bytes, if the window is measuring.</summary>
    public void Connection(LoadWindow window, long received, long sent)
    {
        if (window.Measuring)
        {
            Connections++;
            BytesReceived += received;
            BytesSent += sent;
        }
    }

    /// <summary>Records a failed operation (warm-up failures count too: they are as wrong there).</summary>
    public void Failed(LoadWindow window, Exception error)
    {
        if (window.Stopped)
        {
            // Cut short by the end of the run, not by the server.
            return;
        }

        Failures++;
        FirstFailure ??= $"{error.GetType().Name}: {error.Message}";
    }
}
