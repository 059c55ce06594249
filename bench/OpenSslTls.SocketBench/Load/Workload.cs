namespace OpenSslTls.SocketBench.Load;

/// <summary>What the load generator does.</summary>
internal enum Workload
{
    /// <summary>C persistent connections, each sending OPTIONS and awaiting the 200 in a loop.</summary>
    Transactions,

    /// <summary>K workers, each connecting, handshaking, exchanging one OPTIONS/200 and closing, in a loop.</summary>
    Connections,
}
