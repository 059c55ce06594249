using System.Diagnostics;
using System.Net;
using System.Text;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SocketBench.Servers;

namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// OPTIONS transactions per second: <c>connections</c> persistent TLS connections, opened before the warm-up, each
/// sending an OPTIONS (a new transaction each time: <c>openssltls send</c>'s request builder, fresh branch, next CSeq)
/// and awaiting its 200 in a loop. One request in flight per connection, as a SIP keep-alive prober would have.
/// </summary>
internal static class TransactionLoad
{
    public static async Task<RunResult> RunAsync(ServerProcess server, TlsProfile client, int connections, TimeSpan warmup, TimeSpan window)
    {
        var clients = new LoadClient?[connections];
        using var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            // Opened a few at a time, so the server's accept backlog is never the question here.
            using var gate = new SemaphoreSlim(16);
            await Task.WhenAll(Enumerable.Range(0, connections).Select(async i =>
            {
                await gate.WaitAsync(connecting.Token).ConfigureAwait(false);
                try
                {
                    clients[i] = await LoadClient.ConnectAsync(server.Endpoint, client, SocketBenchRunner.ServerName, connecting.Token).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);

            return await LoadRunner.RunAsync(server, connections, (index, phases, tally, abort) => LoopAsync(clients[index]!, server.Endpoint, phases, tally, abort), warmup, window)
                .ConfigureAwait(false);
        }
        finally
        {
            foreach (LoadClient? open in clients)
            {
                open?.Dispose();
            }
        }
    }

    private static async Task LoopAsync(LoadClient client, IPEndPoint server, LoadWindow window, WorkerTally tally, CancellationToken abort)
    {
        var requests = new OptionsRequestBuilder(SocketBenchRunner.ServerName, server.Port, client.LocalEndPoint);
        int sequence = 0;
        while (!window.Stopped)
        {
            byte[] request = Encoding.UTF8.GetBytes(requests.Build(++sequence));
            long started = Stopwatch.GetTimestamp();
            try
            {
                await client.ExchangeAsync(request, abort).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Whatever broke the connection is counted and reported; the run goes on with the others.
            catch (Exception e)
#pragma warning restore CA1031
            {
                tally.Failed(window, e);
                return;
            }

            tally.Completed(window, started);
        }
    }
}
