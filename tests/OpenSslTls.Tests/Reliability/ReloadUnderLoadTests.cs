using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;
using Xunit.Abstractions;
using OpenSslTls.Module;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Reliability;

/// <summary>
/// Kamailio's users see crashes on rapid reloads and leaks per reload. Here every core runs handshakes and traffic of
/// in-memory module connections while another thread reloads the module every 10 ms (alternating two certificates),
/// another changes runtime parameters and another kills random connections. Nothing may throw, a connection may only
/// end early when it was killed, and afterwards no connection, no older generation and no native object is left.
/// </summary>
public sealed class ReloadUnderLoadTests : NativeLeakCheck
{
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly ITestOutputHelper _output;

    public ReloadUnderLoadTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Traffic_on_every_core_survives_reloads_every_10ms_parameter_changes_and_kills()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        var killed = new ConcurrentDictionary<long, byte>();
        var errors = new ConcurrentQueue<string>();
        long pairs = 0, established = 0, killedSeen = 0, reloads = 0, failedReloads = 0, kills = 0;
        var stopwatch = Stopwatch.StartNew();
        TlsModule module = TlsModule.Create(config.Options());
        try
        {
            using var stop = new CancellationTokenSource(LoadTime);
            CancellationToken token = stop.Token;
            long generationsBefore = module.Info().Generation;

            Task[] workers = [.. Enumerable.Range(0, Environment.ProcessorCount).Select(worker => Task.Run(() =>
            {
                while (!token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref pairs);
                    string? problem = RunPair(module, worker, killed, out bool wasKilled, out bool handshook);
                    if (handshook)
                    {
                        Interlocked.Increment(ref established);
                    }

                    if (wasKilled)
                    {
                        Interlocked.Increment(ref killedSeen);
                    }

                    if (problem is not null)
                    {
                        errors.Enqueue(problem);
                    }
                }
            }))]; // no token here: a worker the pool starts after the deadline ends at once instead of cancelling WhenAll

            Task reloader = Dedicated(() =>
            {
                bool alternate = false;
                while (!token.IsCancellationRequested)
                {
                    alternate = !alternate;
                    // Write a complete file and rename it over tls.cfg, so a reload never reads a half-written file.
                    string staging = config.Path + ".new";
                    File.WriteAllText(staging, File.ReadAllText(config.Path).Replace(
                        alternate ? TestPki.Instance.ServerEcCertificate : TestPki.Instance.ServerRsaCertificate,
                        alternate ? TestPki.Instance.ServerRsaCertificate : TestPki.Instance.ServerEcCertificate, StringComparison.Ordinal).Replace(
                        alternate ? TestPki.Instance.ServerEcKey : TestPki.Instance.ServerRsaKey,
                        alternate ? TestPki.Instance.ServerRsaKey : TestPki.Instance.ServerEcKey, StringComparison.Ordinal));
                    File.Move(staging, config.Path, overwrite: true);
                    TlsReloadResult result = module.Reload();
                    Interlocked.Increment(ref reloads);
                    if (!result.Succeeded)
                    {
                        Interlocked.Increment(ref failedReloads);
                        errors.Enqueue("reload failed: " + string.Join("; ", result.Errors));
                    }

                    Thread.Sleep(10);
                }
            });

            Task tuner = Dedicated(() =>
            {
                var random = new Random(1);
                while (!token.IsCancellationRequested)
                {
                    TlsRuntimeParameters runtime = module.Runtime;
                    runtime.SendCloseNotify = random.Next(2) == 0;
                    runtime.LogLevel = random.Next(0, 4);
                    runtime.DebugLevel = random.Next(0, 4);
                    runtime.ConnectionTimeout = random.Next(2) == 0 ? -1 : 600;
                    _ = module.Options();
                    _ = module.Info();
                    Thread.Sleep(3);
                }
            });

            Task killer = Dedicated(() =>
            {
                var random = new Random(2);
                while (!token.IsCancellationRequested)
                {
                    IReadOnlyList<TlsConnectionSummary> open = module.List();
                    if (open.Count > 0)
                    {
                        long id = open[random.Next(open.Count)].Id;
                        killed[id] = 0; // recorded first: a worker seeing the kill must find it here
                        if (module.Kill(id))
                        {
                            Interlocked.Increment(ref kills);
                        }
                    }

                    Thread.Sleep(5);
                }
            });

            await Task.WhenAll([.. workers, reloader, tuner, killer]).WaitAsync(Bound);
            _output.WriteLine($"{Environment.ProcessorCount} workers, {pairs} pairs, {established} handshakes, {reloads} reloads, " +
                $"{kills} kills ({killedSeen} seen by workers), generation {module.Info().Generation}, {stopwatch.Elapsed.TotalSeconds:F1} s");

            Assert.True(errors.IsEmpty, $"{errors.Count} problem(s), first: " + string.Join(" | ", errors.Take(5)));
            // Throughput depends on the machine's load; these floors only prove that reloads and traffic overlapped.
            Assert.True(established > 20, $"only {established} handshakes completed");
            Assert.True(reloads > 10, $"only {reloads} reloads");
            Assert.Equal(0, failedReloads);
            Assert.True(module.Info().Generation > generationsBefore + 10);
            Assert.Equal(0, module.Info().OpenedConnections);
            Assert.Equal(1, module.Info().LiveGenerations);
        }
        finally
        {
            module.Dispose();
        }

        Assert.True(stopwatch.Elapsed < Bound, $"took {stopwatch.Elapsed}");
        // NativeLeakCheck.Dispose then checks every native counter is back to its value before the test.
    }

    /// <summary>One pair: handshake, three messages each way, close. Returns a problem, or null.</summary>
    private static string? RunPair(TlsModule module, int worker, ConcurrentDictionary<long, byte> killed, out bool wasKilled, out bool handshook)
    {
        wasKilled = false;
        handshook = false;
        using var pair = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), module.OpenConnection(TlsConfigFile.Local));
        bool Killed() => killed.ContainsKey(pair.Server.Id) || killed.ContainsKey(pair.Client.Id);

        handshook = pair.Handshake();
        if (!handshook)
        {
            wasKilled = Killed();
            return wasKilled ? null : $"handshake failed: {pair.Server.State}/{pair.Client.State} {pair.Server.Failure?.Message ?? pair.Client.Failure?.Message}";
        }

        var expectedAtServer = new StringBuilder();
        var expectedAtClient = new StringBuilder();
        for (int i = 0; i < 3; i++)
        {
            string request = $"OPTIONS sip:w{worker}@example.test SIP/2.0\r\nCSeq: {i} OPTIONS\r\n\r\n";
            string response = $"SIP/2.0 200 OK\r\nCSeq: {i} OPTIONS\r\n\r\n";
            pair.ClientSend(Encoding.ASCII.GetBytes(request));
            pair.Pump();
            pair.ServerSend(Encoding.ASCII.GetBytes(response));
            pair.Pump();
            expectedAtServer.Append(request);
            expectedAtClient.Append(response);
        }

        bool intact = Encoding.ASCII.GetString(pair.ServerReceived.WrittenSpan) == expectedAtServer.ToString()
            && Encoding.ASCII.GetString(pair.ClientReceived.WrittenSpan) == expectedAtClient.ToString()
            && pair.LastClientResult.IsSuccess && pair.LastServerResult.IsSuccess;
        if (!intact)
        {
            wasKilled = Killed();
            return wasKilled ? null : $"traffic failed: {pair.LastClientResult.Status}/{pair.LastServerResult.Status} {pair.Server.Failure?.Message ?? pair.Client.Failure?.Message}";
        }

        var sink = new System.Buffers.ArrayBufferWriter<byte>();
        pair.Client.Close(sink);
        pair.Server.Close(sink);
        return null;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on its own thread: the workers keep every pool thread busy with synchronous loops,
    /// so a pool task could wait seconds for a thread and the reloads would not overlap the traffic at all.
    /// </summary>
    private static Task Dedicated(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
