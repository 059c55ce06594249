using System.Diagnostics;
using System.Net;
using System.Text;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SocketBench.Servers;
using OpenSslTls.Profiles;

namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// New TLS connections per second: <c>workers</c> loops per server, each connecting, completing a full handshake (the
/// client profile offers no session to resume, and the probe checks that nothing resumed), sending one OPTIONS, awaiting its 200 and
/// closing the socket (no close_notify, the default of both ends). The latency is connect to 200; the close is not in it.
/// </summary>
internal static class ConnectionLoad
{
    public static Task<RunResult[]> RunAsync(IReadOnlyList<ServerProcess> servers, TlsProfile client, int workers, LoadTiming timing) =>
        LoadRunner.RunAsync(servers, workers, (s, _, gate, tally, abort) => LoopAsync(servers[s].Endpoint, client, gate, tally, abort), timing);

    private static async Task LoopAsync(IPEndPoint server, TlsProfile profile, LoadGate gate, WorkerTally tally, CancellationToken abort)
    {
        while (await gate.EnterAsync().ConfigureAwait(false) is var admission && admission != Admission.Stop)
        {
            long started = Stopwatch.GetTimestamp();
            LoadClient? client = null;
            bool failed = false;
            try
            {
                client = await LoadClient.ConnectAsync(server, profile, SocketBenchRunner.ServerName, abort).ConfigureAwait(false);
                var requests = new OptionsRequestBuilder(SocketBenchRunner.ServerName, server.Port, client.LocalEndPoint);
                await client.ExchangeAsync(Encoding.UTF8.GetBytes(requests.Build(1)), abort).ConfigureAwait(false);
                tally.Completed(admission, started);
                tally.Connection(admission, client.BytesReceived, client.BytesSent);
            }
#pragma warning disable CA1031 // A failed connection is counted and reported; the worker goes on with the next.
            catch (Exception e)
#pragma warning restore CA1031
            {
                tally.Failed(e);
                failed = true;
            }
            finally
            {
                client?.Dispose();
                gate.Exit();
            }

            if (failed)
            {
                // A server that refuses everything must not turn the worker into a busy loop.
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
