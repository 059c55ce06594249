using System.Globalization;
using System.Net.Security;
using OpenSslTls.Benchmarks.Infrastructure;
using OpenSslTls.Benchmarks.OpenSsl;
using OpenSslTls.Benchmarks.SslStreams;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Benchmarks.Memory;

/// <summary>
/// The separate console mode for idle memory, run in a fresh child process per measurement (BenchmarkDotNet cannot see
/// native memory). Like the C harness: warm up, take a baseline, then keep N established server connections while
/// each client is disposed right after its handshake (so only one client is ever alive), and divide the growth by N.
/// </summary>
internal static class IdleMemoryProbe
{
    private const int WarmupConnections = 64;

    /// <summary>Holds <paramref name="connections"/> and measures; <paramref name="progress"/> (OpenSslTls only) hears the count held after each one.</summary>
    public static IdleResult Run(IdleImplementation implementation, Scenario scenario, BenchPki pki, int connections, Action<int>? progress = null) =>
        implementation == IdleImplementation.OpenSslTls ? RunOpenSslTls(scenario, pki, connections, progress) : RunSslStream(scenario, pki, connections);

    /// <summary>The child's one output line.</summary>
    public static string Format(IdleResult result) => string.Create(
        CultureInfo.InvariantCulture,
        $"{result.ResidentPerConnection:F1},{result.NativeHeapPerConnection:F1},{result.ManagedPerConnection:F1}");

    public static IdleResult Parse(string line)
    {
        double[] values = [.. line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
        return new IdleResult(values[0], values[1], values[2]);
    }

    private static IdleResult RunOpenSslTls(Scenario scenario, BenchPki pki, int connections, Action<int>? progress)
    {
        using TlsProfile serverProfile = OpenSslTlsProfiles.Server(pki, scenario);
        using TlsProfile clientProfile = OpenSslTlsProfiles.Client(pki, scenario);
        var pump = new OpenSslTlsPump();
        for (int i = 0; i < WarmupConnections; i++)
        {
            using TlsConnection server = serverProfile.CreateConnection();
            using TlsConnection client = clientProfile.CreateConnection(BenchPki.ServerName);
            pump.Handshake(client, server);
            pump.Reset();
        }

        var servers = new TlsConnection[connections];
        Baseline baseline = Baseline.Take();
        for (int i = 0; i < connections; i++)
        {
            TlsConnection server = serverProfile.CreateConnection();
            using (TlsConnection client = clientProfile.CreateConnection(BenchPki.ServerName))
            {
                pump.Handshake(client, server);
            }

            pump.Reset();
            servers[i] = server;
            progress?.Invoke(i + 1);
        }

        IdleResult result = baseline.PerConnection(connections);
        foreach (TlsConnection server in servers)
        {
            server.Dispose();
        }

        return result;
    }

    private static IdleResult RunSslStream(Scenario scenario, BenchPki pki, int connections)
    {
        using var setup = new SslStreamSetup(pki, scenario);
        for (int i = 0; i < WarmupConnections; i++)
        {
            (InMemoryDuplexStream client, InMemoryDuplexStream server) = InMemoryDuplexStream.CreatePair();
            using SslStreamPair pair = SslStreamPair.Connect(setup, client, server);
        }

        var servers = new SslStream[connections];
        Baseline baseline = Baseline.Take();
        for (int i = 0; i < connections; i++)
        {
            (InMemoryDuplexStream clientTransport, InMemoryDuplexStream serverTransport) = InMemoryDuplexStream.CreatePair();
            SslStreamPair pair = SslStreamPair.Connect(setup, clientTransport, serverTransport);
            pair.Client.Dispose();

            // The client is gone: its direction of the transport ends (and holds no buffer).
            clientTransport.Input.Close();
            servers[i] = pair.Server;
        }

        IdleResult result = baseline.PerConnection(connections);
        foreach (SslStream server in servers)
        {
            server.Dispose();
        }

        return result;
    }

    private readonly record struct Baseline(long Resident, long NativeHeap, long Managed)
    {
        public static Baseline Take()
        {
            long managed = ProcessMemory.ManagedBytes();
            return new Baseline(ProcessMemory.ResidentBytes(), ProcessMemory.NativeHeapBytes(), managed);
        }

        public IdleResult PerConnection(int connections)
        {
            long managed = ProcessMemory.ManagedBytes();
            long resident = ProcessMemory.ResidentBytes();
            long native = ProcessMemory.NativeHeapBytes();
            return new IdleResult(
                (double)(resident - Resident) / connections,
                (double)(native - NativeHeap) / connections,
                (double)(managed - Managed) / connections);
        }
    }
}
