using System.Diagnostics;
using System.Text;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SocketBench.Servers;
using OpenSslTls.Profiles;

namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// OPTIONS transactions per second: <c>connections</c> persistent TLS connections per server, opened before the
/// warm-up, each sending an OPTIONS (a new transaction each time: <c>openssltls send</c>'s request builder, fresh
/// branch, next CSeq) and awaiting its 200 in a loop. One request in flight per connection, as a SIP keep-alive
/// prober would have.
/// </summary>
internal static class TransactionLoad
{
    public static async Task<RunResult[]> RunAsync(IReadOnlyList<ServerProcess> servers, TlsProfile client, int connections, LoadTiming timing)
    {
        var clients = servers.Select(_ => new LoadClient?[connections]).ToArray();
        using var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            // Opened a few at a time, so the servers' accept backlog is never the question here.
            using var gate = new SemaphoreSlim(16);
            await Task.WhenAll(Enumerable.Range(0, servers.Count).SelectMany(s => Enumerable.Range(0, connections).Select(async i =>
            {
                await gate.WaitAsync(connecting.Token).ConfigureAwait(false);
                try
                {
                    clients[s][i] = await LoadClient.ConnectAsync(servers[s].Endpoint, client, SocketBenchRunner.ServerName, connecting.Token).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            }))).ConfigureAwait(false);

            return await LoadRunner.RunAsync(
                servers,
                connections,
                (s, i, slices, tally, abort) => LoopAsync(clients[s][i]!, servers[s].Endpoint.Port, slices, tally, abort),
                timing).ConfigureAwait(false);
        }
        finally
        {
            foreach (LoadClient? open in clients.SelectMany(perServer => perServer))
            {
                open?.Dispose();
            }
        }
    }

    private static async Task LoopAsync(LoadClient client, int port, LoadGate gate, WorkerTally tally, CancellationToken abort)
    {
        var requests = new OptionsRequestBuilder(SocketBenchRunner.ServerName, port, client.LocalEndPoint);
        int sequence = 0;
        while (await gate.EnterAsync().ConfigureAwait(false) is var admission && admission != Admission.Stop)
        {
            try
            {
                byte[] request = Encoding.UTF8.GetBytes(requests.Build(++sequence));
                long started = Stopwatch.GetTimestamp();
                await client.ExchangeAsync(request, abort).ConfigureAwait(false);
                tally.Completed(admission, started);
            }
#pragma warning disable CA1031 // Whatever broke the connection is counted and reported; the run goes on with the others.
            catch (Exception e)
#pragma warning restore CA1031
            {
                // The connection is unusable now: it takes no further part.
                tally.Failed(e);
                return;
            }
            finally
            {
                gate.Exit();
            }
        }
    }
}
