using System.Diagnostics;
using System.Globalization;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.Tests.SipEndpoint;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// The well-behaved client of the hostile-peer tests. While an attack runs it does, every <c>interval</c>, one round:
/// an OPTIONS on a connection it keeps open, and a fresh connection (new TCP connection and full handshake) that sends
/// an OPTIONS and closes. Attacks on accepting and handshaking hit the second; attacks that tie up the server's loop
/// would hit both. Every round must get 200 OK with its own CSeq; failures and latencies are recorded, not thrown, and
/// judged by the test through <see cref="StopAsync"/>.
/// </summary>
internal sealed class GoodClientProbe : IAsyncDisposable
{
    private readonly ServerTestHost _host;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _roundLimit;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TimeSpan> _latencies = [];
    private readonly List<string> _failures = [];
    private readonly TlsProfile _clientProfile;
    private Task? _loop;

    private GoodClientProbe(ServerTestHost host, TimeSpan interval, TimeSpan roundLimit)
    {
        _host = host;
        _interval = interval;
        _roundLimit = roundLimit;
        _clientProfile = host.ClientProfile();
    }

    /// <summary>Connects the kept connection (which must succeed at once) and starts the rounds.</summary>
    public static async Task<GoodClientProbe> StartAsync(ServerTestHost host, TimeSpan interval, TimeSpan roundLimit)
    {
        var probe = new GoodClientProbe(host, interval, roundLimit);
        using var connect = new CancellationTokenSource(roundLimit);
        SipTlsClient kept = await host.ConnectAsync(connect.Token, probe._clientProfile);
        probe._loop = probe.RunAsync(kept);
        return probe;
    }

    /// <summary>Rounds completed (successful or not) so far.</summary>
    public int Rounds
    {
        get
        {
            lock (_latencies)
            {
                return _latencies.Count + _failures.Count;
            }
        }
    }

    /// <summary>Stops the rounds and reports them.</summary>
    public async Task<ProbeReport> StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        lock (_latencies)
        {
            TimeSpan[] sorted = [.. _latencies.Order()];
            return new ProbeReport(
                sorted.Length,
                [.. _failures],
                sorted.Length == 0 ? TimeSpan.Zero : sorted[sorted.Length / 2],
                sorted.Length == 0 ? TimeSpan.Zero : sorted[^1]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(SipTlsClient kept)
    {
        int cseq = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                cseq++;
                var clock = Stopwatch.StartNew();
                using var round = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                round.CancelAfter(_roundLimit);
                try
                {
                    await AskAsync(kept, cseq, "kept", round.Token);
                    await using (SipTlsClient fresh = await _host.ConnectAsync(round.Token, _clientProfile))
                    {
                        await AskAsync(fresh, cseq, "fresh", round.Token);
                    }

                    Record(clock.Elapsed, null);
                }
                catch (Exception e) when (_stop.IsCancellationRequested && e is OperationCanceledException)
                {
                    break;
                }
#pragma warning disable CA1031 // Any failure of a round is a finding to report, not a reason to stop probing.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Record(clock.Elapsed, string.Create(CultureInfo.InvariantCulture, $"round {cseq} after {clock.Elapsed.TotalSeconds:0.00} s: {e.GetType().Name}: {e.Message}"));
                    if (kept.Ended)
                    {
                        return;
                    }
                }

                try
                {
                    await Task.Delay(_interval, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            await kept.DisposeAsync();
        }
    }

    private static async Task AskAsync(SipTlsClient client, int cseq, string which, CancellationToken cancellation)
    {
        string callId = $"probe-{which}@test";
        await client.SendAsync(SipRequests.Options(cseq, callId), cancellation);
        SipReceivedFrame reply = await client.ReadFrameAsync(cancellation) ?? throw new IOException($"{which} connection closed by the server");
        if (!reply.Text.StartsWith("SIP/2.0 200 OK\r\n", StringComparison.Ordinal)
            || !reply.Text.Contains($"\r\nCSeq: {cseq} OPTIONS\r\n", StringComparison.Ordinal)
            || !reply.Text.Contains($"\r\nCall-ID: {callId}\r\n", StringComparison.Ordinal))
        {
            throw new IOException($"{which} connection got an unexpected reply: {reply.Text}");
        }
    }

    private void Record(TimeSpan latency, string? failure)
    {
        lock (_latencies)
        {
            if (failure is null)
            {
                _latencies.Add(latency);
            }
            else
            {
                _failures.Add(failure);
            }
        }
    }
}
